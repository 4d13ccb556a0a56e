"""The receiver: finds the image under a key, validates everything, and returns a Pillow image or a numpy
array.

Order (docs/protocol.md, section 5.1): peek at the segment without the lock (refuse a foreign one
without touching its lock), take the lock, look the segment up again, read which slot is published and
pin it, release the lock; only then verify and copy, so readers never wait for each other's copies and
the sender never waits for a reader.

A receiver stays attached to the segment it read last: attaching afresh costs a page fault for every
4 KiB touched (shared memory gets no transparent huge pages), which costs more than the copy itself.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import xxhash

from . import arrays
from . import control as ctl
from . import header as hdr
from .channel import ChannelKind
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import CorruptSegmentError, ForeignSegmentError, NotSharedError
from .info import Received, ReceivedArray, ShareInfo
from .keys import borrow_sysv_key, sysv_key, validate_key
from .lock import KeyLock, lock_exists
from .pins import PinSet
from .pixels import maps_payload, read_pixels
from .raw import RawImage
from .segment import Segment, holds_foreign_data, id_at, is_removed, peek_start
from .wake import WakeResult, WakeSignal

_APPEAR_POLL = 0.02  # seconds between looks while --wait-ing for a share to appear
_NOTHING_POLL = 0.1  # seconds between looks while following a key that has no sender
_WAKE_BOUND = 0.5  # longest single sleep on the new-image signal (a dead sender is noticed by then)

T = TypeVar("T")
# Reads pixels from a pinned payload: (header, payload, verify) -> (result, the object whose life keeps
# using the payload, or None when the result is a copy)
PixelReader = Callable[[hdr.Header, memoryview, bool], "tuple[Any, object | None]"]


@dataclass(frozen=True)
class _Look:
    """What was read holding the lock: the published image's descriptor, and its slot pinned."""

    segment: Segment
    control: ctl.Control
    header: hdr.Header
    slot: int
    pins: PinSet | None


class Receiver:
    """Reads the image shared under a key: `image, info = Receiver("169254").receive()`."""

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, verify: bool = True):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self._pins_key = borrow_sysv_key(key)  # looked up at every pinned read: computed once
        self.verify = verify
        self._segment: Segment | None = None  # the segment read last, kept attached
        self._wake: WakeSignal | None = None
        self._wake_seen: int | None = None  # the new-image count when we last read

    # -- public API --------------------------------------------------------------------------------
    def receive(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0, verify: bool | None = None,
                borrow: bool = False) -> Received:
        """The current image and its metadata.

        timeout bounds the wait for a busy lock (LockTimeoutError); wait is how long to wait for
        something to be shared at all (NotSharedError after it). verify=False skips the payload
        checksum (a share made without one is never verified). borrow=True may return an image that
        maps the shared memory instead of a copy (modes L, P, RGBA, I;16): the sender never writes
        its slot while the image lives.
        """
        reader = self._pillow_reader(borrow)
        return when_shared(wait, lambda: self._received(self._read_now(timeout, self._check(verify), reader)),
                           self._drop_segment)

    def receive_array(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0,
                      verify: bool | None = None, borrow: bool = False, out: Any = None,
                      channels: str | None = None) -> ReceivedArray:
        """The current image as a numpy array, and its metadata.

        Shapes and dtypes as Sender.share() takes them (mode P gives its indices as uint8). out= copies
        into a caller's array of the right shape and dtype (no allocation); borrow=True returns a
        read-only view of the pinned slot, which the sender never writes while the view (or any array
        made from it) lives, and which stays mapped even after close(). Colour arrays come in RGB(A)
        order, or B, G, R(, A) with channels="BGR" (or "BGRA"), converted only if the share was in the
        other order (a converted array is never a borrow). Mode 1 is never borrowed (bits are unpacked).
        """
        reader = self._array_reader(borrow, out, arrays.wants_bgr(channels))
        return when_shared(wait, lambda: self._received_array(self._read_now(timeout, self._check(verify), reader)),
                           self._drop_segment)

    def receive_new(self, last: ShareInfo | None, timeout: float, *,
                    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, verify: bool | None = None,
                    borrow: bool = False) -> Received | None:
        """The newest image if it differs from last, waiting up to timeout for one; else None.

        Sleeps on the key's new-image signal, so waiting costs nothing; a receiver that fell behind
        gets the newest image, never an older one. While nothing is shared it looks again every 0.1 s.
        """
        got = self._newer(last, timeout, lock_timeout, self._check(verify), self._pillow_reader(borrow))
        return None if got is None else self._received(got)

    def receive_array_new(self, last: ShareInfo | None, timeout: float, *,
                          lock_timeout: float = DEFAULT_LOCK_TIMEOUT, verify: bool | None = None,
                          borrow: bool = False, out: Any = None, channels: str | None = None
                          ) -> ReceivedArray | None:
        """receive_new() for numpy arrays, with receive_array()'s choices."""
        reader = self._array_reader(borrow, out, arrays.wants_bgr(channels))
        got = self._newer(last, timeout, lock_timeout, self._check(verify), reader)
        return None if got is None else self._received_array(got)

    def receive_raw_new(self, last: ShareInfo | None, timeout: float, *,
                        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                        buffer: Callable[[int], memoryview] | None = None) -> RawImage | None:
        """receive_new() as the raw payload (padding included) and the descriptor as written, for a
        bridge. buffer(length) may lend the writable memoryview to copy into (else one is allocated).
        The payload is not verified here: its checksum travels with it, so the far end checks the
        sender's own bytes; a share made without one gets one computed from the copy."""
        def read(h: hdr.Header, payload: memoryview, verify: bool) -> tuple[Any, object | None]:
            target = buffer(h.payload_length) if buffer is not None else memoryview(bytearray(h.payload_length))
            hasher = xxhash.xxh3_64() if h.checksum_kind is hdr.ChecksumKind.NONE else None
            arrays.copy_bytes(target, payload, hasher)
            return RawImage(h, target, hasher.intdigest() if hasher is not None else h.checksum), None

        got = self._newer(last, timeout, lock_timeout, False, read)
        if got is None:
            return None
        info, raw = got
        return RawImage(raw.header, raw.pixels, raw.checksum, info)

    def info(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0) -> ShareInfo:
        """The metadata of the current share, without reading its pixels."""
        return when_shared(wait, lambda: self._read_now(timeout, False, None)[0], self._drop_segment)

    def close(self) -> None:
        """Detach (a segment still mapped by a borrowed image or array is detached once that is gone)."""
        self._drop_segment()

    def __del__(self) -> None:
        # A forgotten receiver must not keep its segment attached (that would keep a dead sender's
        # share from ever looking stale).
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- readers of a pinned payload -------------------------------------------------------------------
    def _check(self, verify: bool | None) -> bool:
        return self.verify if verify is None else verify

    def _verify(self, h: hdr.Header, payload: memoryview) -> None:
        if xxhash.xxh3_64_intdigest(payload) != h.checksum:
            raise self._checksum_error()

    def _checksum_error(self) -> CorruptSegmentError:
        return CorruptSegmentError(f"the image under key {self.key!r} failed its checksum (damaged segment)")

    def _pillow_reader(self, borrow: bool) -> PixelReader:
        def read(h: hdr.Header, payload: memoryview, verify: bool) -> tuple[Any, object | None]:
            if verify:
                self._verify(h, payload)
            image = read_pixels(h, payload, borrow=borrow)
            return image, image if maps_payload(h, borrow) else None
        return read

    def _array_reader(self, borrow: bool, out: Any, want_bgr: bool) -> PixelReader:
        def read(h: hdr.Header, payload: memoryview, verify: bool) -> tuple[Any, object | None]:
            source = arrays.slot_array(payload, h.mode, h.width, h.height, h.stride)
            swap = h.mode in hdr.BGR_MODES and h.bgr != want_bgr
            if h.mode == "1":
                if verify:
                    self._verify(h, payload)
                target = arrays.unpack_bits(source, h.width)
                if out is not None:
                    arrays.check_out(out, h.mode, h.width, h.height)
                    out[...] = target
                    target = out
                return target, None
            if borrow and not swap and out is None:
                if verify:
                    self._verify(h, payload)
                return source, arrays.memory_owner(source)
            if out is not None:
                arrays.check_out(out, h.mode, h.width, h.height)
                target = out
            else:
                target = arrays.new_array(h.mode, h.width, h.height)
            hasher = xxhash.xxh3_64() if verify else None
            arrays.copy_rows(target, source, h.stride, payload, hasher, arrays.swap_channels if swap else None)
            if hasher is not None and hasher.intdigest() != h.checksum:
                raise self._checksum_error()
            return target, None
        return read

    @staticmethod
    def _received(got: tuple[ShareInfo, Any]) -> Received:
        return Received(got[1], got[0])

    @staticmethod
    def _received_array(got: tuple[ShareInfo, Any]) -> ReceivedArray:
        return ReceivedArray(got[1], got[0])

    # -- the protocol ----------------------------------------------------------------------------------
    def _newer(self, last: ShareInfo | None, timeout: float, lock_timeout: float, verify: bool,
               reader: PixelReader) -> tuple[ShareInfo, Any] | None:
        deadline = time.monotonic() + max(0.0, timeout)
        newer_than = None if last is None else last.identity
        while True:
            try:
                got = self._read(lock_timeout, verify, reader, newer_than=newer_than)
            except NotSharedError:
                got, self._wake_seen = None, None
            if got is not None:
                return got
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            wake = self._wake_signal()
            if wake is not None and self._wake_seen is not None:
                if wake.wait_beyond(self._wake_seen, min(remaining, _WAKE_BOUND)) is WakeResult.REMOVED:
                    self._wake = None
            else:
                time.sleep(min(remaining, _NOTHING_POLL))

    def _wake_signal(self) -> WakeSignal | None:
        if self._wake is None:
            self._wake = WakeSignal.open(self.key)
        return self._wake

    def _read_now(self, timeout: float, verify: bool, reader: PixelReader | None) -> tuple[ShareInfo, Any]:
        got = self._read(timeout, verify, reader)
        assert got is not None  # only a newer_than read finds nothing new
        return got

    def _read(self, timeout: float, verify: bool, reader: PixelReader | None,
              newer_than: tuple[object, ...] | None = None) -> tuple[ShareInfo, Any] | None:
        """(info, what reader made of the published image's pixels; None without a reader), or None
        when newer_than names the published image."""
        look = self._look(timeout, pin=reader is not None, newer_than=newer_than)
        if look is None:
            return None
        segment, h = look.segment, look.header
        info = ShareInfo.from_parts(look.control, h, self.sysv_key, segment.id, segment.size)
        if reader is None:
            return info, None
        pins = look.pins
        assert pins is not None
        try:
            segment.populate()  # only when pixels are read: info() needs the header alone
            offset = look.control.slots[look.slot][0]
            payload = segment.view(offset, h.payload_length)
            result, keeper = reader(h, payload, verify and h.checksum_kind is hdr.ChecksumKind.XXH3_64)
        except BaseException:
            pins.unpin(look.slot)
            segment.release_views()
            raise
        if keeper is not None:
            # The result maps the slot: it stays pinned (the sender never writes it) and mapped until
            # keeper is freed; a killed process's pin is taken back by the kernel (SEM_UNDO).
            segment.hold(keeper)
            weakref.finalize(keeper, pins.unpin, look.slot)
        else:
            pins.unpin(look.slot)
        segment.release_views()
        return info, result

    def _look(self, timeout: float, pin: bool, newer_than: tuple[object, ...] | None) -> _Look | None:
        """Peek, lock, look up again, read the published descriptor and pin its slot (protocol §5.1).
        None when newer_than names the published image."""
        if self._segment is None:
            self._refuse_foreign()
        try:
            lock = KeyLock.open(self.sysv_key, self.key, timeout)
        except NotSharedError:
            self._explain_missing_lock()
            raise
        # Under the lock: only copies of the two blocks, the wake count and the pin (syscalls and
        # 8 KiB of memcpy); checking them waits until the lock is free again.
        pins: PinSet | None = None
        with lock.held(timeout, queue=False):
            segment = self._current_segment()
            raw = segment.read(0, ctl.CONTROL_SIZE)
            if ctl.is_blank(raw):
                raise NotSharedError(f"nothing is shared under the key {self.key!r} yet")
            slot = ctl.peek_published(raw)
            if slot is None:
                raise NotSharedError(f"nothing is shared under the key {self.key!r} yet")
            descriptor = segment.read(ctl.descriptor_offset(slot), hdr.DESCRIPTOR_SIZE)
            wake = self._wake_signal()
            self._wake_seen = wake.value() if wake is not None else None
            if pin:
                pins = PinSet.open(self.key, self._pins_key)
                if pins is None or not pins.pin(slot):
                    raise CorruptSegmentError(
                        f"the share under key {self.key!r} has lost its semaphores; remove it with "
                        f"'imgshare remove --key {self.key}'"
                    )
        try:
            control = ctl.unpack_control(raw, segment.size, self.key)
            h = hdr.unpack_header(descriptor, control.slots[slot][1])
        except BaseException:
            if pins is not None:
                pins.unpin(slot)
            raise
        if newer_than is not None and _identity(h) == newer_than:
            if pins is not None:
                pins.unpin(slot)
            return None
        return _Look(segment, control, h, slot, pins)

    def _refuse_foreign(self) -> None:
        """Refuse a foreign segment without touching its lock (a foreign semaphore may be held forever)."""
        if holds_foreign_data(self.sysv_key, self.key):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )

    def _current_segment(self) -> Segment:
        """The segment under the key now (called holding the lock): the one kept, or a new attach."""
        current = id_at(self.sysv_key)
        if current is None:
            raise NotSharedError(f"nothing is shared under the key {self.key!r}")
        kept = self._segment
        if kept is not None and kept.id == current and not is_removed(kept):
            return kept
        self._drop_segment()
        self._segment = Segment.open(self.sysv_key, self.key, read_only=True)
        return self._segment

    def _drop_segment(self) -> None:
        if self._segment is not None:
            self._segment.detach()  # lingers, attached, while a borrowed image still maps it
            self._segment = None

    def _explain_missing_lock(self) -> None:
        """No lock at the key: nothing shared, unless a segment of ours lost its lock."""
        self._drop_segment()
        before = id_at(self.sysv_key)
        # The first 8 bytes alone (one load: the magic is stored in one go); the version after.
        start = peek_start(self.sysv_key, self.key, len(ctl.MAGIC)) or b""
        if ctl.has_magic(start):
            ctl.check_version(peek_start(self.sysv_key, self.key, ctl.VERSION_END) or start)
            if lock_exists(self.sysv_key):  # a sender set the key up meanwhile: not a lost lock
                raise NotSharedError(f"nothing is shared under the key {self.key!r} yet")
            if before is None or id_at(self.sysv_key) != before:
                # A sender set the key up and stopped again while we looked (it makes the lock before
                # the segment and removes it after): only a segment that stayed the whole time, with
                # no lock at some moment in between, has lost its lock.
                raise NotSharedError(f"nothing is shared under the key {self.key!r}")
            raise CorruptSegmentError(
                f"the share under key {self.key!r} has lost its lock semaphore; "
                f"remove it with 'imgshare remove --key {self.key}'"
            )
        if any(start):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )


def _identity(h: hdr.Header) -> tuple[object, ...]:
    """ShareInfo.identity of the image h describes."""
    return h.sender_pid, h.sequence, h.timestamp_ns / 1e9


def when_shared(wait: float, attempt: Callable[[], T], on_miss: Callable[[], None] | None = None) -> T:
    """attempt() until it stops raising NotSharedError, for up to wait seconds (then re-raise it)."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return attempt()
        except NotSharedError:
            if on_miss is not None:
                on_miss()
            if time.monotonic() + _APPEAR_POLL > deadline:
                raise
            time.sleep(_APPEAR_POLL)

