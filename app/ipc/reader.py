"""A reader's hold on one key (docs/protocol.md §10): the control segment, the semaphore set and the
slots' data segments, kept attached between reads; pinning the published slot without any lock; the
seqlock read when a pin is refused at its maximum.

A reader stays attached to what it read last: attaching afresh costs a page fault for every 4 KiB
touched (shared memory gets no transparent huge pages), which costs more than a copy.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors
from .hashing import ChecksumMismatch
from .info import ShareInfo
from .layout import control as ctl
from .layout import descriptor as dsc
from .layout.keys import sysv_key, validate_key
from .lookup import ControlFound, attach_control, control_still_at, open_set, read_control
from .slotdata import SlotData, attach_slot
from .sysv import segment as shm
from .sysv import translate
from .sysv.semset import KeySet, PinResult, SetRemoved, WakeResult

_HINT_TRIES = 3  # pins tried at the published hint before looking at every gate (§10.2)

# Reads pixels from a pinned (or seqlock-guarded) payload: (descriptor, payload, verify) -> (result,
# whether the result maps the payload and must keep it pinned and mapped while it lives)
PixelReader = Callable[[dsc.Descriptor, memoryview, bool], "tuple[Any, bool]"]


@dataclass
class Pinned:
    """The published slot, pinned (or read under the seqlock when pinned is False)."""

    slot: int
    data: SlotData
    descriptor: dsc.Descriptor
    pinned: bool
    write_count: int = 0  # unpinned: the seqlock word read before the descriptor


class KeyReader:
    """What a receiver keeps of a key between reads."""

    def __init__(self, key: str):
        validate_key(key)
        self.key = key
        self.sysv = sysv_key(key)
        self._control: ControlFound | None = None
        self._set: KeySet | None = None
        self._slots: dict[int, SlotData] = {}

    # -- the key's objects (§10.1) ----------------------------------------------------------------------
    def objects(self, look_up: bool = True) -> tuple[ControlFound, KeySet]:
        """The control segment and set, looked up again at every read (one shmget): a new sender may
        have made new ones. look_up=False keeps what a lookup of the same read just found."""
        if not look_up and self._control is not None and self._set is not None:
            return self._control, self._set
        try:
            current = shm.lookup(self.sysv)
        except OSError as exc:
            raise translate.at_key(exc, self.key, self.sysv, "shared memory") from None
        if current is None:
            self.forget()
            raise errors.nothing_shared(self.key)
        if self._control is None or self._set is None or self._control.segment.id != current:
            self.forget()
            seg = attach_control(self.key, self.sysv, read_only=True)
            if seg is None:
                raise errors.nothing_shared(self.key)
            try:
                found = ControlFound(seg, read_control(seg, self.key))
                keyset = open_set(self.key, self.sysv, found)
            except BaseException:
                seg.detach()
                raise
            self._control, self._set = found, keyset
        return self._control, self._set

    def forget(self) -> None:
        """Detach everything (a segment still mapped by a borrowed view lingers until that is gone)."""
        for data in self._slots.values():
            data.segment.detach()
        self._slots.clear()
        if self._control is not None:
            self._control.segment.detach()
        self._control, self._set = None, None

    # -- pinning (§10.2) -------------------------------------------------------------------------------
    def pin(self, timeout: float, *, may_skip_pin: bool, look_up: bool = True) -> Pinned:
        """Pin the published slot and check its data segment and descriptor (§9.3). With may_skip_pin a
        pin refused at its maximum gives an unpinned Pinned for the seqlock path (§10.5)."""
        deadline = time.monotonic() + max(0.0, timeout)
        found, keyset = self.objects(look_up)
        tries = 0
        while True:
            hint = found.segment.load(ctl.PUBLISHED)
            slot = hint if hint < keyset.slot_count and tries < _HINT_TRIES else self._scan(keyset)
            # The entry before and after the pin: equal (generations only grow) means it named the
            # published image at the pin; a sender may give a pinned slot a new data segment (§12.2).
            before = self._entry(found, slot)
            try:
                result = keyset.pin(slot)
            except SetRemoved:
                self.forget()
                raise errors.nothing_shared(self.key) from None
            if result is not PinResult.CLOSED:
                pinned = result is PinResult.PINNED
                if pinned and self._entry(found, slot) != before:
                    keyset.unpin(slot)
                elif result is PinResult.FULL and not may_skip_pin:
                    raise errors.LockTimeoutError(
                        f"too many readers hold the image under key {self.key!r} (its pin is at the "
                        "kernel's maximum, 32767); release some borrowed images")
                else:
                    try:
                        return self._pinned(slot, found, keyset, before, pinned=pinned)
                    except errors.CorruptSegmentError:
                        if not control_still_at(self.sysv, found.segment):
                            self.forget()  # the sender stopped and removed everything meanwhile
                            raise errors.nothing_shared(self.key) from None
                        if self._entry(found, slot) == before:
                            raise  # the same entry: the share is damaged, not overtaken
            tries += 1
            if time.monotonic() > deadline:
                raise errors.LockTimeoutError(
                    f"the image under key {self.key!r} kept changing faster than it could be read")

    def _scan(self, keyset: KeySet) -> int:
        try:
            open_gates = keyset.open_gates()
        except SetRemoved:
            self.forget()
            raise errors.nothing_shared(self.key) from None
        if not open_gates:
            raise errors.nothing_shared_yet(self.key)
        if len(open_gates) > 1:
            raise errors.damaged(self.key, f"{len(open_gates)} slots are published at once")
        return open_gates[0]

    @staticmethod
    def _entry(found: ControlFound, slot: int) -> ctl.Slot:
        seg = found.segment
        return ctl.Slot(seg.load(ctl.slot_entry(slot), 8), seg.load(ctl.slot_entry(slot) + 8, 4))

    def _pinned(self, slot: int, found: ControlFound, keyset: KeySet, entry: ctl.Slot, pinned: bool) -> Pinned:
        try:
            data = self._slot(slot, entry)
            before = data.segment.load(dsc.WRITE_COUNT)
            descriptor = data.descriptor(self.key, found.control.epoch, before if pinned else None)
        except BaseException:
            if pinned:
                keyset.unpin(slot)
            raise
        return Pinned(slot, data, descriptor, pinned, 0 if pinned else before)

    def _slot(self, slot: int, entry: ctl.Slot) -> SlotData:
        """The data segment entry names, attached (or kept from last time)."""
        kept = self._slots.get(slot)
        if kept is not None and kept.entry == entry:
            return kept
        if kept is not None:
            kept.segment.detach()
            del self._slots[slot]
        data = attach_slot(self.key, entry, read_only=True)
        self._slots[slot] = data
        return data

    def unpin(self, pinned: Pinned) -> None:
        if pinned.pinned and self._set is not None:
            self._set.unpin(pinned.slot)

    # -- reading (§10.3, §10.5) --------------------------------------------------------------------------
    def read(self, timeout: float, verify: bool, reader: PixelReader | None, *, borrow: bool,
             newer_than: tuple[object, ...] | None = None, look_up: bool = True) -> tuple[ShareInfo, Any] | None:
        """(info, what reader made of the pixels; None without a reader), or None when newer_than names
        the published image. A borrowed result keeps its slot pinned and mapped while it lives."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            pinned = self.pin(max(0.0, deadline - time.monotonic()), may_skip_pin=not borrow, look_up=look_up)
            look_up = True  # a retry looks again
            got = self._read_pinned(pinned, verify, reader, newer_than)
            if not isinstance(got, _Torn):
                return got
            if time.monotonic() > deadline:
                raise errors.LockTimeoutError(
                    f"the image under key {self.key!r} kept changing while it was read without a pin")

    def _read_pinned(self, pinned: Pinned, verify: bool, reader: PixelReader | None,
                     newer_than: tuple[object, ...] | None) -> tuple[ShareInfo, Any] | None | _Torn:
        d = pinned.descriptor
        info = self.info_of(pinned)
        if (newer_than is not None and info.identity == newer_than) or reader is None:
            self.unpin(pinned)
            return None if reader is not None else (info, None)
        data = pinned.data
        before = pinned.write_count
        if before % 2:
            return _TORN
        try:
            data.segment.populate(dsc.DESCRIPTOR_SIZE + d.payload_length)
            payload = data.payload(d.payload_length)
            result, maps = reader(d, payload, verify and d.checksum_kind is dsc.ChecksumKind.XXH3_64)
        except ChecksumMismatch:
            self.unpin(pinned)
            data.segment.release_views()
            if not pinned.pinned and self._changed(pinned, before):
                return _TORN
            raise errors.CorruptSegmentError(
                f"the image under key {self.key!r} failed its checksum (damaged share)") from None
        except BaseException:
            self.unpin(pinned)
            data.segment.release_views()
            raise
        if not pinned.pinned and self._changed(pinned, before):
            data.segment.release_views()
            return _TORN
        if maps:
            # The result maps the slot: it stays pinned (the sender never writes it) and mapped until it
            # is freed; a killed process's pin is taken back by the kernel (SEM_UNDO).
            keeper = _memory_owner(result)
            data.segment.hold(keeper)
            keyset = self._set
            assert keyset is not None
            weakref.finalize(keeper, keyset.unpin, pinned.slot)
        else:
            self.unpin(pinned)
        data.segment.release_views()
        return info, result

    def _changed(self, pinned: Pinned, before: int) -> bool:
        """After an unpinned read: whether the slot was rewritten or unpublished meanwhile (§10.5 step 3)."""
        found, keyset = self._control, self._set
        if found is None or keyset is None:
            return True
        entry = self._entry(found, pinned.slot)
        try:
            gate = keyset.gate(pinned.slot)
        except SetRemoved:
            return True
        return pinned.data.segment.load(dsc.WRITE_COUNT) != before or entry != pinned.data.entry or gate == 0

    def info_of(self, pinned: Pinned) -> ShareInfo:
        """The ShareInfo of a pinned image (§10.4)."""
        found, keyset = self._control, self._set
        assert found is not None and keyset is not None
        d = pinned.descriptor
        flags = found.segment.load(ctl.FLAGS)
        try:
            served = keyset.owner_held() and bool(flags & ctl.FLAG_SERVING)
        except SetRemoved:
            served = False
        checksum = f"xxh3:{d.checksum:016x}" if d.checksum_kind is dsc.ChecksumKind.XXH3_64 else "none"
        return ShareInfo(
            key=self.key, sysv_key=self.sysv, sequence=d.sequence, width=d.width, height=d.height, mode=d.mode,
            source_mode=d.source_mode or d.mode, converted=d.converted, source_name=d.source_name,
            sender_pid=d.sender_pid, sender_alive=served, persisted=bool(flags & ctl.FLAG_PERSISTED),
            timestamp=d.timestamp_ns / 1e9, stride=d.stride, payload_length=d.payload_length, checksum=checksum,
            segment_id=pinned.data.segment.id, segment_size=pinned.data.segment.size, bgr=d.bgr,
            epoch=found.control.epoch, tags=dict(d.tags),
        )

    # -- following (§11) ------------------------------------------------------------------------------
    def wake_seen(self) -> int | None:
        """The wake count now, read before an image is read (None when nothing is at the key)."""
        try:
            _, keyset = self.objects()
            return keyset.wake_value()
        except (errors.NotSharedError, SetRemoved):
            return None

    def wait_for_share(self, seen: int, seconds: float) -> WakeResult:
        """Sleep until a share is counted after seen, for at most seconds (§11.2); REMOVED when the set
        went away (the follower then forgets the key's objects and looks again later)."""
        keyset = self._set
        if keyset is None:
            return WakeResult.REMOVED
        result = keyset.wait_wake(seen, seconds)
        if result is WakeResult.REMOVED:
            self.forget()
        return result


class _Torn:
    """An unpinned read that the sender overtook: read again."""


_TORN = _Torn()


def _memory_owner(result: Any) -> object:
    """The object whose life keeps using the payload: a numpy array's base owner, or the image."""
    owner = result
    while getattr(owner, "base", None) is not None:
        owner = owner.base
    return owner
