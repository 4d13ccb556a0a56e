"""The sender: owns a key, publishes images under it, and removes them when it stops.

Pixels go into a slot that is neither published nor pinned by a reader, **without the key's lock**;
publishing is one 4-byte store under the lock. A sender killed at any instant therefore leaves the
last published image complete. When no slot fits, the sender moves to a new segment, carrying the
published image over so readers never find the key empty (docs/protocol.md, section 7).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import xxhash
from PIL import Image

from . import arrays
from . import control as ctl
from . import header as hdr
from .arrays import copy_bytes
from .channel import ChannelKind
from .claims import Claim
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import (
    CorruptSegmentError,
    ForeignSegmentError,
    ImageError,
    ImgShareError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
    TooLargeError,
)
from .kernel import check_fits
from .keys import sysv_key, validate_key
from .liveness import own_identity
from .lock import KeyLock
from .modes import to_carried
from .pins import PinSet
from .pixels import Hasher, hash_in_chunks, palette_fields, payload_length, write_pixels
from .raw import ChecksumMismatchError, RawImage
from .segment import Segment, holds_foreign_data, id_at, is_removed
from .takeover import judge_found_segment
from .wake import WakeSignal

_SHRINK_FACTOR = 4  # give back a slot more than 4x larger than the image needs (plus _SHRINK_SLACK)
_SHRINK_SLACK = 1 << 20

Fill = Callable[[memoryview, "Hasher | None"], None]


@dataclass(frozen=True)
class _Plan:
    """What the next image is, before its pixels are written."""

    mode: str
    width: int
    height: int
    stride: int
    source_mode: str
    flags: int
    source_name: str
    extra: dict[str, Any]  # palette and transparency fields

    @property
    def length(self) -> int:
        return self.stride * self.height


class _Lost(Exception):
    """Our segment was removed under us (imgshare remove --force): claim the key afresh."""


def fits(capacity: int, length: int) -> bool:
    """Whether a slot of capacity holds length bytes without being more than 4x too big."""
    return length <= capacity <= _SHRINK_FACTOR * ctl.round_up(length) + _SHRINK_SLACK


class Sender:
    """Publishes images under a key: `with Sender("169254") as s: s.share(image)`.

    share() takes Pillow images and numpy arrays; frame() lends a writable array over a free slot.
    checksum=False publishes without a payload checksum (receivers then skip verification).
    """

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, checksum: bool = True):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self.lock_timeout = lock_timeout
        self.checksum = checksum
        self._lock: KeyLock | None = None
        self._segment: Segment | None = None
        self._control: ctl.Control | None = None
        self._pins: PinSet | None = None
        self._wake: WakeSignal | None = None
        self._published: int | None = None
        self._sequence = 0
        self._claim = Claim(self.sysv_key)
        self._in_frame = False
        self._mutex = threading.RLock()  # a GUI may share from a worker and close from the Tk thread

    # -- public API --------------------------------------------------------------------------------
    @property
    def sequence(self) -> int:
        """The sequence number of the last share (0 before the first)."""
        return self._sequence

    @property
    def sharing(self) -> bool:
        return self._segment is not None

    def share(self, image: Image.Image | Any, source_name: str = "", *, channels: str | None = None) -> int:
        """Publish a Pillow image or a numpy array under the key; returns its sequence number.

        Arrays: (H, W) bool -> 1, uint8 -> L, uint16 -> I;16, int32 -> I, float32 -> F; (H, W, 2)
        uint8 -> LA, (H, W, 3) -> RGB, (H, W, 4) -> RGBA; channels="BGR" (or "BGRA") carries OpenCV's
        order as it is. Raises KeyInUseError if another live sender owns the key, ForeignSegmentError
        if another program's segment sits there, LockTimeoutError if the lock stays busy, TooLargeError
        if the image does not fit the machine's limits. On any error, what was shared before stays.
        """
        if arrays.is_array(image):
            array_plan = arrays.plan_for(image, channels)
            plan = self._plan(array_plan.mode, array_plan.width, array_plan.height, array_plan.mode,
                              hdr.FLAG_BGR if array_plan.bgr else 0, source_name, {})

            def fill(dest: memoryview, hasher: Hasher | None) -> None:
                arrays.fill_slot(image, array_plan, dest, hasher)
        elif isinstance(image, Image.Image):
            if channels is not None:
                raise ImageError("channels= goes with numpy arrays; a Pillow image names its own mode")
            carried, converted = to_carried(image)
            plan = self._plan(carried.mode, carried.width, carried.height, image.mode,
                              hdr.FLAG_CONVERTED if converted else 0, source_name, palette_fields(carried))

            def fill(dest: memoryview, hasher: Hasher | None) -> None:
                write_pixels(carried, dest, hasher)
        else:
            raise ImageError(f"only Pillow images and numpy arrays can be shared, not {type(image).__name__}")
        return self._share_with(plan.length, lambda slot: self._write_slot(slot, plan, fill))

    def share_raw(self, raw: RawImage) -> int:
        """Publish an image exactly as raw describes it (a bridge's far end): its payload byte for byte
        and every descriptor field, sequence and share time included, but the sender's identity, which
        is this process's. The payload is checked against raw.checksum while it is copied; on a
        mismatch nothing is published (ChecksumMismatchError). The checksum kind stays the source's."""
        h = raw.header
        if len(raw.pixels) != h.payload_length:
            raise ImageError(f"{len(raw.pixels)} bytes of pixels for an image of {h.payload_length}")
        self._plan(h.mode, h.width, h.height, h.mode, 0, "", {})  # the size limits of share()
        return self._share_with(h.payload_length, lambda slot: self._write_raw_slot(slot, raw))

    @contextmanager
    def frame(self, width: int, height: int, mode: str = "RGB", *, channels: str | None = None,
              source_name: str = "") -> Iterator[Any]:
        """`with sender.frame(w, h, "RGBA") as pixels:` — a writable numpy array over a free slot.

        Leaving the block normally publishes what was written; leaving it by an exception publishes
        nothing. The array must not be used after the block. One frame() at a time per sender.
        """
        array_plan = arrays.frame_plan(width, height, mode, channels)
        plan = self._plan(mode, width, height, mode, hdr.FLAG_BGR if array_plan.bgr else 0, source_name, {})
        with self._mutex:
            self._refuse_during_frame()
            slot = self._slot_for(plan.length)
            segment = self._segment
            assert segment is not None and self._control is not None
            self._in_frame = True
        offset = self._control.slots[slot][0]
        try:
            view = segment.view(offset, plan.length)
            pixels = arrays.slot_array(view, mode, width, height, plan.stride)
            segment.hold(arrays.memory_owner(pixels))  # mapped while any view of pixels lives
            yield pixels
            pixels.flags.writeable = False
            with self._mutex:
                if self._segment is not segment:
                    raise ImgShareError("the sender was closed or moved during the frame() block; "
                                        "nothing was published")
                header = self._write_slot(slot, plan, None)
                try:
                    self._publish(slot, header)
                except _Lost:
                    self._forget_objects()
                    raise NotSharedError(
                        f"the share of key {self.key!r} was removed during the frame() block") from None
        finally:
            self._in_frame = False

    def close(self, persist: bool = False) -> None:
        """Stop sharing. Normally removes the segment and the key's semaphores; with persist, leaves
        them, marked persisted so the share is not stale and a later sender may take it over."""
        with self._mutex:
            if self._segment is not None and self._lock is not None:
                try:
                    self._lock.acquire(self.lock_timeout)
                except (LockTimeoutError, NotSharedError):
                    pass  # a stuck holder must not keep our objects alive; removal is safe for it
                try:
                    if self._lost():
                        self._lock.release()  # whatever is at the key now may be another sender's
                    elif persist and self._published is not None and self._control is not None:
                        self._segment.store(ctl.FLAGS_OFFSET, self._control.flags | ctl.FLAG_PERSISTED)
                        self._lock.release()
                    else:
                        self._remove_everything()
                finally:
                    self._forget_objects()
            self._forget_objects()
            self._claim.give_up()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- writing and publishing ------------------------------------------------------------------------
    def _plan(self, mode: str, width: int, height: int, source_mode: str, flags: int, source_name: str,
              extra: dict[str, Any]) -> _Plan:
        if not (1 <= width <= hdr.MAX_DIMENSION and 1 <= height <= hdr.MAX_DIMENSION):
            raise TooLargeError(
                f"the image is {width}x{height}; imgshare carries 1 to {hdr.MAX_DIMENSION} pixels a side"
            )
        stride, _ = payload_length(mode, (width, height))
        return _Plan(mode, width, height, stride, source_mode, flags, os.path.basename(source_name), extra)

    def _refuse_during_frame(self) -> None:
        if self._in_frame:
            raise ImgShareError("a frame() block of this sender is open; leave it before sharing again")

    def _share_with(self, length: int, write: Callable[[int], hdr.Header]) -> int:
        """Write an image of length bytes into a free slot with write(slot) and publish it; a segment
        removed under us (imgshare remove --force) is claimed afresh once."""
        with self._mutex:
            self._refuse_during_frame()
            for _ in range(2):
                slot = self._slot_for(length)
                header = write(slot)
                try:
                    return self._publish(slot, header)
                except _Lost:
                    self._forget_objects()
            raise NotSharedError(f"the share of key {self.key!r} keeps being removed by another program")

    def _write_raw_slot(self, slot: int, raw: RawImage) -> hdr.Header:
        """Copy raw's payload into slot, checking its checksum on the way, then write its descriptor."""
        segment, control = self._segment, self._control
        assert segment is not None and control is not None
        hasher = xxhash.xxh3_64()
        payload = segment.view(control.slots[slot][0], raw.header.payload_length)
        try:
            copy_bytes(payload, raw.pixels, hasher)
        finally:
            segment.release_views()
        if hasher.intdigest() != raw.checksum:
            raise ChecksumMismatchError(f"an image for the key {self.key!r} arrived damaged (its XXH3 checksum "
                                        "does not match its bytes); it was not shared")
        pid, start = own_identity()
        kept = raw.header.checksum_kind is hdr.ChecksumKind.XXH3_64
        header = replace(raw.header, sender_pid=pid, sender_start=start, checksum=raw.checksum if kept else 0)
        segment.write(hdr.pack_header(header), ctl.descriptor_offset(slot))
        return header

    def _write_slot(self, slot: int, plan: _Plan, fill: Fill | None) -> hdr.Header:
        """Write pixels (unless fill is None: frame() wrote them) and the descriptor of slot, lock free."""
        segment, control = self._segment, self._control
        assert segment is not None and control is not None
        offset = control.slots[slot][0]
        hasher = xxhash.xxh3_64() if self.checksum else None
        payload = segment.view(offset, plan.length)
        try:
            if fill is not None:
                fill(payload, hasher)
            elif hasher is not None:
                hash_in_chunks(payload, hasher)
        finally:
            segment.release_views()
        pid, start = own_identity()
        header = hdr.Header(
            sequence=self._sequence + 1, width=plan.width, height=plan.height, mode=plan.mode,
            stride=plan.stride, payload_length=plan.length, checksum=hasher.intdigest() if hasher else 0,
            sender_pid=pid, sender_start=start, timestamp_ns=time.time_ns(), source_name=plan.source_name,
            source_mode=plan.source_mode, flags=plan.flags,
            checksum_kind=hdr.ChecksumKind.XXH3_64 if hasher else hdr.ChecksumKind.NONE, **plan.extra,
        )
        segment.write(hdr.pack_header(header), ctl.descriptor_offset(slot))
        return header

    def _publish(self, slot: int, header: hdr.Header) -> int:
        """Make slot the published one: a short critical section with no pixel work in it."""
        lock, segment = self._lock, self._segment
        assert lock is not None and segment is not None
        try:
            lock.acquire(self.lock_timeout)
        except NotSharedError:  # our lock was removed (imgshare remove --force)
            raise _Lost() from None
        try:
            if self._lost():
                raise _Lost()
            self._repair_control()
            segment.store(ctl.PUBLISHED_OFFSET, slot)
            if self._wake is not None:
                self._wake.signal()
        finally:
            lock.release()
        self._published = slot
        self._sequence = header.sequence
        return self._sequence

    def _repair_control(self) -> None:
        """Rewrite our control block if another program damaged it (holding the lock): it is written
        once per segment, so without this one stray write would damage every later share."""
        segment, control = self._segment, self._control
        assert segment is not None and control is not None
        try:
            ctl.unpack_control(segment.read(0, ctl.CONTROL_SIZE), segment.size, self.key)
        except CorruptSegmentError:
            segment.write(ctl.pack_control(replace(control, published=self._published)), 0)

    def _lost(self) -> bool:
        segment = self._segment
        return segment is None or is_removed(segment) or id_at(self.sysv_key) != segment.id

    # -- slots ----------------------------------------------------------------------------------------
    def _slot_for(self, length: int) -> int:
        """A slot that holds length bytes, is not published and no reader pins; claims the key first
        and moves to a new segment when none fits."""
        if self._segment is not None and self._lost():
            self._forget_objects()  # removed under us: start over as a new sender
        if self._segment is None:
            self._claim_key(length)
        slot = self._free_slot(length)
        if slot is None:
            lock = self._lock
            assert lock is not None
            lock.acquire(self.lock_timeout)
            try:
                self._move(length, carry=True)
            finally:
                lock.release()
            slot = self._free_slot(length)
        if slot is None:  # a fresh segment and a fresh pin set: cannot happen
            raise ImgShareError(f"no free slot in the new segment of key {self.key!r}")
        return slot

    def _free_slot(self, length: int) -> int | None:
        control, pins = self._control, self._pins
        if control is None or pins is None:
            return None
        for index, (_, capacity) in enumerate(control.slots):
            if index != self._published and fits(capacity, length) and pins.count(index) == 0:
                return index
        return None

    def _move(self, length: int, *, carry: bool) -> None:
        """Replace the key's segment by a new one with room for length-byte images (holding the lock),
        carrying the published image over into slot 0 so readers never find the key empty."""
        old, old_control = self._segment, self._control
        carried: tuple[bytes, int, int] | None = None  # descriptor, offset, length in the old segment
        if carry and old is not None and old_control is not None and self._published is not None:
            descriptor = old.read(ctl.descriptor_offset(self._published), hdr.DESCRIPTOR_SIZE)
            offset, capacity = old_control.slots[self._published]
            carried = (descriptor, offset, hdr.unpack_header(descriptor, capacity).payload_length)
        capacities = [ctl.round_up(length)] * ctl.SLOT_COUNT
        if carried is not None:
            capacities[0] = ctl.round_up(carried[2])
        slots, size = ctl.plan_slots(capacities)
        check_fits(size)  # before giving anything up
        snapshot = old.read(0, old.size) if old is not None else None
        if old is not None:
            old.remove()
        try:
            new = self._create(size)
        except BaseException:
            if old is not None and snapshot is not None:
                self._restore(old, snapshot)
            raise
        pid, start = own_identity()
        control = ctl.Control(key=self.key, slots=slots, owner_pid=pid, owner_start=start)
        block = ctl.pack_control(control)
        # The magic last, in one store: a reader's lock-free peek sees zeros (nothing yet) or the magic,
        # never a part of it (which would look like another program's data).
        new.write(bytes(len(ctl.MAGIC)) + block[len(ctl.MAGIC):], 0)
        new.store(0, int.from_bytes(ctl.MAGIC, "little"), 8)
        # Fresh pins before anything is published: killed in between, the key has nothing published
        # (never a published image without its pin set).
        self._replace_pins()
        if carried is not None and old is not None:
            descriptor, offset, carried_length = carried
            source, target = old.view(offset, carried_length), new.view(slots[0][0], carried_length)
            try:
                target[:] = source
            finally:
                old.release_views()
                new.release_views()
            new.write(descriptor, ctl.descriptor_offset(0))
            new.store(ctl.PUBLISHED_OFFSET, 0)
        if old is not None:
            old.detach()
        self._segment, self._control = new, control
        self._published = 0 if carried is not None else None

    def _replace_pins(self) -> None:
        """A fresh pin set for a fresh segment: pins on the old one no longer matter."""
        if self._pins is not None:
            self._pins.remove()
        else:
            stale = PinSet.open(self.key)
            if stale is not None:
                stale.remove()
        self._pins = PinSet.create(self.key)

    def _create(self, size: int) -> Segment:
        try:
            return Segment.create(self.sysv_key, size, self.key)
        except FileExistsError:
            raise KeyInUseError(f"the key {self.key!r} was taken by another process meanwhile") from None

    def _restore(self, old: Segment, snapshot: bytes) -> None:
        """Put the old share back under the key after a failed move (holding the lock)."""
        try:
            again = Segment.create(self.sysv_key, old.size, self.key)
        except Exception:
            old.detach()
            self._segment, self._control, self._published = None, None, None
            return
        again.write(bytes(len(ctl.MAGIC)) + snapshot[len(ctl.MAGIC):], 0)
        again.store(0, int.from_bytes(snapshot[:len(ctl.MAGIC)], "little"), 8)  # the magic last, as in _move
        old.detach()
        self._segment = again

    # -- claiming the key --------------------------------------------------------------------------------
    def _claim_key(self, length: int) -> None:
        """Become the key's sender (docs/protocol.md, section 7.1): take over what is there or create."""
        if not self._claim.take():
            raise KeyInUseError(
                f"the key {self.key!r} is in use by pid {os.getpid()} (another sender in this program)",
                pid=os.getpid(),
            )
        if holds_foreign_data(self.sysv_key, self.key):
            self._claim.give_up()
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory; imgshare will not touch it, "
                "choose another key"
            )
        try:
            lock, created_lock = KeyLock.open_or_create(self.sysv_key, self.key, self.lock_timeout)
        except BaseException:
            self._claim.give_up()
            raise
        self._lock = lock
        created: list[Callable[[], None]] = [lock.remove] if created_lock else []
        try:
            lock.acquire(self.lock_timeout)
        except BaseException:
            # Someone else holds the lock now (even one we just made): it is theirs to use; leave it.
            self._forget_objects()
            self._claim.give_up()
            raise
        try:
            self._take_over_or_create(length, created)
        except BaseException:
            if self._segment is None:
                # Refused: leave the key as we found it. What we made goes while we still hold the lock
                # (docs/protocol.md §5), so no sender that opens it next can lose it under its feet.
                for remove in reversed(created):
                    remove()
                if not created_lock:
                    lock.release()
                self._forget_objects()
                self._claim.give_up()
            else:
                lock.release()
            raise
        lock.release()

    def _take_over_or_create(self, length: int, created: list[Callable[[], None]]) -> None:
        """Holding the lock: adopt the key's segment if it is ours to take, else make a new one."""
        try:
            existing: Segment | None = Segment.open(self.sysv_key, self.key)
        except NotSharedError:
            existing = None
        adopted = None
        if existing is not None:
            try:
                adoption = judge_found_segment(existing, self.key)
            except BaseException:
                existing.detach()
                raise
            if adoption is not None:
                adopted = adoption.control
                self._sequence = max(self._sequence, adoption.sequence)  # followers see it keep growing
        wake = WakeSignal.open(self.key)
        if wake is None:
            wake = WakeSignal.create(self.key)
            if wake is not None:
                created.append(wake.remove)
        self._wake = wake or WakeSignal.open(self.key)  # None: another process made it meanwhile
        if adopted is not None and existing is not None:
            pins = PinSet.open(self.key)
            if pins is None:
                pins = PinSet.create(self.key)
                created.append(pins.remove)
            self._pins = pins
            pid, start = own_identity()
            existing.store(ctl.OWNER_START_OFFSET, start, 8)
            existing.store(ctl.OWNER_PID_OFFSET, pid)
            existing.store(ctl.FLAGS_OFFSET, adopted.flags & ~ctl.FLAG_PERSISTED)
            self._segment, self._control = existing, replace(adopted, owner_pid=pid, owner_start=start,
                                                             flags=adopted.flags & ~ctl.FLAG_PERSISTED)
            self._published = adopted.published
            return
        self._segment = existing  # damaged or blank: replaced below, nothing carried over
        self._published = None
        try:
            self._move(length, carry=False)
        except BaseException:
            if self._segment is not None:
                self._segment.detach()  # the damaged share, put back at the key: not ours to keep
            self._segment, self._control = None, None
            raise

    # -- ending ---------------------------------------------------------------------------------------
    def _remove_everything(self) -> None:
        """Remove the segment and every semaphore of the key (holding the lock, removed last)."""
        assert self._segment is not None and self._lock is not None
        self._segment.remove()
        if self._pins is not None:
            self._pins.remove()
        if self._wake is not None:
            self._wake.remove()  # wakes followers at once: "removed"
        self._lock.remove()

    def _forget_objects(self) -> None:
        """Drop (and detach) our handles on the key's objects; whoever calls decides their fate."""
        if self._segment is not None:
            self._segment.detach()
        self._segment = None
        self._control = None
        self._lock = None
        self._pins = None
        self._wake = None
        self._published = None
