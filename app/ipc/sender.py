"""The sender: owns a key, publishes images under it, and removes them when it stops.

All segment access happens holding the key's lock. Pixels are written before the header, and an image
that does not fit the current segment goes into a new segment that replaces the old one under the key
(the old one is marked superseded and removed; processes still attached keep a complete old image).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from types import TracebackType

import xxhash
from PIL import Image

from . import header as hdr
from .borrows import BorrowCount
from .channel import ChannelKind
from .claims import Claim
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import (
    CorruptSegmentError,
    ForeignSegmentError,
    ImageError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
    TooLargeError,
)
from .kernel import check_fits
from .keys import sysv_key, validate_key
from .liveness import is_alive, own_identity
from .lock import KeyLock
from .modes import to_carried
from .pixels import palette_fields, payload_length, write_pixels
from .segment import Segment, holds_foreign_data, is_removed
from .wake import WakeSignal

_PAGE = 4096
_SHRINK_FACTOR = 4  # give back a segment that is more than 4x larger than the image needs


def _segment_size(payload: int) -> int:
    return hdr.HEADER_SIZE + (payload + _PAGE - 1) // _PAGE * _PAGE


class Sender:
    """Publishes Pillow images under a key: `with Sender("169254") as s: s.share(image)`."""

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self.lock_timeout = lock_timeout
        self._lock: KeyLock | None = None
        self._segment: Segment | None = None
        self._header: hdr.Header | None = None
        self._sequence = 0
        self._claim = Claim(self.sysv_key)
        self._created_lock = False
        self._borrows: BorrowCount | None = None
        self._wake: WakeSignal | None = None
        self._mutex = threading.RLock()  # a GUI may share from a worker and close from the Tk thread

    # -- public API --------------------------------------------------------------------------------
    @property
    def sequence(self) -> int:
        """The sequence number of the last share (0 before the first)."""

        return self._sequence

    @property
    def sharing(self) -> bool:
        return self._segment is not None

    def share(self, image: Image.Image, source_name: str = "") -> int:
        """Publish image under the key, replacing what this sender shared before; returns its sequence.

        Raises KeyInUseError if another live sender owns the key, ForeignSegmentError if another
        program's segment sits there, LockTimeoutError if the lock stays busy, TooLargeError if the
        image does not fit the machine's limits. On any error, what was shared before stays shared.
        """
        if not isinstance(image, Image.Image):
            raise ImageError("only Pillow images can be shared")
        carried, converted = to_carried(image)
        width, height = carried.size
        if not (1 <= width <= hdr.MAX_DIMENSION and 1 <= height <= hdr.MAX_DIMENSION):
            raise TooLargeError(
                f"the image is {width}x{height}; imgshare carries 1 to {hdr.MAX_DIMENSION} pixels a side"
            )
        stride, length = payload_length(carried.mode, carried.size)
        pid, start = own_identity()
        with self._mutex:
            self._claim_key()
            if self._segment is None and holds_foreign_data(self.sysv_key, self.key):
                self._release_key()
                raise ForeignSegmentError(
                    f"the key {self.key!r} holds another program's shared memory; imgshare will not "
                    "touch it, choose another key"
                )
            lock = self._ensure_lock()
            try:
                lock.acquire(self.lock_timeout)
            except NotSharedError:  # our semaphore was removed under us (imgshare remove --force)
                self._forget_objects()
                lock = self._ensure_lock()
                lock.acquire(self.lock_timeout)
            try:
                try:
                    segment = self._segment_for(length)
                except BaseException:
                    self._give_up_claim()
                    raise
                new_header = hdr.Header(
                    sequence=self._sequence + 1, width=width, height=height, mode=carried.mode,
                    stride=stride, payload_length=length, checksum=0, sender_pid=pid,
                    sender_start=start, timestamp_ns=time.time_ns(), key=self.key,
                    source_name=os.path.basename(source_name), source_mode=image.mode,
                    flags=(hdr.FLAG_CONVERTED if converted else 0) | hdr.FLAG_WRITING,
                    **palette_fields(carried),
                )
                # Header first, marked WRITING: if we die before the final header below, a reader
                # learns that the sender died mid-write rather than meeting torn pixels.
                segment.write(hdr.pack_header(new_header), 0)
                payload = segment.view(hdr.HEADER_SIZE, length)
                try:
                    write_pixels(carried, payload)
                    checksum = xxhash.xxh3_64_intdigest(payload)
                finally:
                    segment.release_views()
                new_header = replace(new_header, checksum=checksum,
                                     flags=new_header.flags & ~hdr.FLAG_WRITING)
                segment.write(hdr.pack_header(new_header), 0)
                if self._wake is not None:
                    self._wake.signal()
                self._header = new_header
                self._sequence = new_header.sequence
            finally:
                lock.release()
        return self._sequence

    def close(self, persist: bool = False) -> None:
        """Stop sharing. Normally removes the segment and its lock; with persist, leaves both, marked
        persisted so the share is not stale and a later sender may replace it."""
        with self._mutex:
            if self._segment is not None and self._lock is not None:
                try:
                    self._lock.acquire(self.lock_timeout)
                except (LockTimeoutError, NotSharedError):
                    pass  # a stuck holder must not keep our objects alive; removal is safe for it
                try:
                    if persist and self._header is not None and not is_removed(self._segment):
                        marked = _with_flags(self._header, hdr.FLAG_PERSISTED)
                        self._segment.write(hdr.pack_header(marked), 0)
                        self._lock.release()
                    elif not is_removed(self._segment):
                        self._segment.remove()
                        if self._borrows is not None:
                            self._borrows.remove()
                        if self._wake is not None:
                            self._wake.remove()  # wakes followers at once: "removed"
                        self._lock.remove()
                    else:
                        self._lock.release()
                finally:
                    self._forget_objects()
            self._forget_objects()
            self._release_key()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- ownership ---------------------------------------------------------------------------------
    def _claim_key(self) -> None:
        if not self._claim.take():
            raise KeyInUseError(
                f"the key {self.key!r} is in use by pid {os.getpid()} (another sender in this program)",
                pid=os.getpid(),
            )

    def _release_key(self) -> None:
        self._claim.give_up()

    def _ensure_lock(self) -> KeyLock:
        if self._lock is None:
            self._lock, self._created_lock = KeyLock.open_or_create(self.sysv_key, self.key,
                                                                    self.lock_timeout)
        return self._lock

    def _give_up_claim(self) -> None:
        """After a failed first share: leave the key as we found it (holding the lock)."""
        if self._segment is not None:
            return  # we still own a share: keep it
        if self._created_lock and self._lock is not None:
            self._lock.remove()  # we made it a moment ago for a share that never happened
        self._lock = None
        self._release_key()

    def _forget_objects(self) -> None:
        """Drop (and detach) our handles on the key's objects; whoever calls decides their fate."""
        if self._segment is not None:
            self._segment.detach()
        self._segment = None
        self._lock = None
        self._borrows = None
        self._wake = None
        self._header = None

    # -- segments (called holding the lock) ---------------------------------------------------------
    def _segment_for(self, length: int) -> Segment:
        """A segment at the key with room for length payload bytes that no one else is reading."""
        if self._segment is not None and is_removed(self._segment):
            self._segment.detach()  # removed under us: start over as a new sender
            self._segment, self._header = None, None
        if self._segment is None:
            self._segment = self._take_over_key(length)
        if self._borrows is None:
            self._borrows = BorrowCount.open_or_create(self.key)
        if self._wake is None:
            self._wake = WakeSignal.open_or_create(self.key)
        current = self._segment
        needed = _segment_size(length)
        fits = needed <= current.size <= needed * _SHRINK_FACTOR + (1 << 20)
        # A receiver that borrows the current pixels must never see them change: move instead.
        borrowed = self._borrows is None or self._borrows.count() > 0
        if fits and not borrowed:
            return current
        check_fits(needed)  # before giving anything up
        self._segment = self._replace_segment(current, needed)
        return self._segment

    def _take_over_key(self, length: int) -> Segment:
        """Attach the key's segment if it is ours to take, or create one."""
        try:
            existing = Segment.open(self.sysv_key, self.key)
        except NotSharedError:
            return self._create(_segment_size(length))
        try:
            self._check_takeover(existing)
        except BaseException:
            existing.detach()
            raise
        return existing

    def _check_takeover(self, existing: Segment) -> None:
        raw = existing.read(0, hdr.HEADER_SIZE)
        if hdr.is_blank(raw):
            # Created but never written: its sender died in between (we hold the lock, so nobody is
            # writing it now). Take it unless that creator still runs or someone else is attached.
            creator = existing.creator_pid
            if creator != os.getpid() and is_alive(creator):
                raise KeyInUseError(f"the key {self.key!r} is in use by pid {creator}", pid=creator)
            if existing.number_attached() > 1:
                raise KeyInUseError(f"the key {self.key!r} is being set up by another process")
            return
        if not hdr.has_magic(raw):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory (id {existing.id}); "
                "imgshare will not touch it, choose another key"
            )
        try:
            old = hdr.unpack_header(raw, existing.size)
        except CorruptSegmentError:
            return  # our format but damaged: the lock is ours now, so nobody is writing it; replace
        if old.key != self.key:
            raise ForeignSegmentError(
                f"the key {self.key!r} collides with imgshare key {old.key!r} (same System V key); "
                "choose another key"
            )
        own = os.getpid()
        if not old.persisted and is_alive(old.sender_pid, old.sender_start) and old.sender_pid != own:
            raise KeyInUseError(f"the key {self.key!r} is in use by pid {old.sender_pid}",
                                pid=old.sender_pid)
        self._sequence = max(self._sequence, old.sequence)  # followers see the sequence keep growing

    def _create(self, size: int) -> Segment:
        check_fits(size)
        try:
            return Segment.create(self.sysv_key, size, self.key)
        except FileExistsError:
            raise KeyInUseError(f"the key {self.key!r} was taken by another process meanwhile") from None

    def _replace_segment(self, old: Segment, size: int) -> Segment:
        """Swap in a new segment of size bytes; readers of the old one keep a complete old image."""
        old_header_bytes = old.read(0, hdr.HEADER_SIZE)
        try:
            old_header = self._header or hdr.unpack_header(old_header_bytes, old.size)
            old.write(hdr.pack_header(_with_flags(old_header, hdr.FLAG_SUPERSEDED)), 0)
        except CorruptSegmentError:
            pass  # a damaged header cannot be marked; its readers fail validation anyway
        old.remove()
        try:
            new = self._create(size)
        except BaseException:
            self._restore(old, old_header_bytes)  # sets self._segment to the restored share
            raise
        old.detach()
        return new

    def _restore(self, old: Segment, header_bytes: bytes) -> None:
        """Put the old share back under the key after a failed replacement."""
        try:
            again = Segment.create(self.sysv_key, old.size, self.key)
        except Exception:
            old.detach()
            self._segment, self._header = None, None
            return
        source = old.view(0, old.size)
        target = again.view(0, old.size)
        try:
            target[:] = source
        finally:
            old.release_views()
            again.release_views()
        again.write(header_bytes, 0)
        old.detach()
        self._segment = again


def _with_flags(h: hdr.Header, flags: int) -> hdr.Header:
    return replace(h, flags=h.flags | flags)
