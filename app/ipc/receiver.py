"""The receiver: finds the image under a key, validates everything, and returns a Pillow image.

Order matters: take the lock first, then look up the segment by key. A sender swapping segments holds
the lock, so a receiver never sees the key between the old segment and the new one.

A receiver stays attached to the segment it read last: attaching afresh costs a page fault for every
4 KiB touched (shared memory gets no transparent huge pages), which costs more than the copy itself.
"""

from __future__ import annotations

import time
import weakref
from types import TracebackType

import xxhash

from . import header as hdr
from .borrows import BorrowCount
from .channel import ChannelKind
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import CorruptSegmentError, ForeignSegmentError, IncompleteShareError, NotSharedError
from .info import Received, ShareInfo
from .keys import sysv_key, validate_key
from .lock import KeyLock
from .pixels import read_pixels
from .segment import Segment, holds_foreign_data, id_at, is_removed, peek_start
from .wake import WakeSignal

_APPEAR_POLL = 0.02  # seconds between looks while --wait-ing for a share to appear


class Receiver:
    """Reads the image shared under a key: `image, info = Receiver("169254").receive()`."""

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, verify: bool = True):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self.verify = verify
        self._segment: Segment | None = None  # the segment read last, kept attached
        self._wake: WakeSignal | None = None
        self._wake_seen: int | None = None  # the new-image count when we last read

    def receive(self, timeout: float = 5.0, *, wait: float = 0.0, verify: bool | None = None,
                borrow: bool = False) -> Received:
        """The current image and its metadata.

        timeout bounds the wait for a busy lock (LockTimeoutError); wait is how long to wait for
        something to be shared at all (NotSharedError after it). verify=False skips only the payload
        checksum, for streaming. borrow=True may return an image that maps the shared memory instead
        of a copy (modes L, P, RGBA, I;16): the sender never overwrites it while the image lives, and
        it stays valid until this receiver's next receive() or close().
        """

        check = self.verify if verify is None else verify
        return when_shared(wait, lambda: self._read(timeout, check, borrow), self._drop_segment)

    def receive_new(self, last: ShareInfo | None, timeout: float, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                    verify: bool | None = None, borrow: bool = False) -> Received | None:
        """The newest image if it differs from last, waiting up to timeout for one; else None.

        Sleeps on the key's new-image signal, so waiting costs nothing; a receiver that fell behind
        gets the newest image, never an older one. While nothing is shared it looks again every 0.1 s.
        """
        check = self.verify if verify is None else verify
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                got = self._read(lock_timeout, check, borrow, newer_than=_identity(last))
            except NotSharedError:
                got, self._wake_seen = None, None
            if got is not None:
                return got
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            wake = self._wake_signal()
            if wake is not None and self._wake_seen is not None:
                if wake.wait_beyond(self._wake_seen, min(remaining, 0.5)) == "removed":
                    self._wake = None
            else:
                time.sleep(min(remaining, 0.1))

    def _wake_signal(self) -> WakeSignal | None:
        if self._wake is None:
            self._wake = WakeSignal.open(self.key)
        return self._wake

    def info(self, timeout: float = 5.0, *, wait: float = 0.0) -> ShareInfo:
        """The metadata of the current share, without reading its pixels."""
        return when_shared(wait, lambda: self._read(timeout, False, False, pixels=False),
                           self._drop_segment)

    def close(self) -> None:
        """Detach (a segment still mapped by a borrowed image is detached once that image is gone)."""
        self._drop_segment()

    def __del__(self):
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

    # -- internals ---------------------------------------------------------------------------------
    def _refuse_foreign(self) -> None:
        """Refuse a foreign segment without touching its lock (a foreign semaphore may be held forever)."""
        if holds_foreign_data(self.sysv_key, self.key):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )

    def _read(self, timeout: float, verify: bool, borrow: bool, pixels: bool = True,
              newer_than: tuple | None = None):
        if self._segment is None:
            self._refuse_foreign()
        try:
            lock = KeyLock.open(self.sysv_key, self.key, timeout)
        except NotSharedError:
            self._explain_missing_lock()
            raise
        with lock.held(timeout):
            segment = self._current_segment()
            try:
                raw = segment.read(0, hdr.HEADER_SIZE)
                if hdr.is_blank(raw):
                    raise NotSharedError(f"nothing is shared under the key {self.key!r} yet")
                h = hdr.unpack_header(raw, segment.size)
                info = ShareInfo.from_header(h, self.sysv_key, segment.id, segment.size)
                wake = self._wake_signal()
                self._wake_seen = wake.value() if wake is not None else None
                if newer_than is not None and _identity(info) == newer_than:
                    return None
                if h.writing:  # we hold the lock, so its writer is gone
                    raise IncompleteShareError(
                        f"the sender of key {self.key!r} (pid {h.sender_pid}) died while writing the "
                        "image; nothing complete is shared until a new sender replaces it"
                    )
                if not pixels:
                    return info
                segment.populate()  # only when pixels are read: info() needs the header alone
                payload = segment.view(h.header_size, h.payload_length)
                if verify and xxhash.xxh3_64_intdigest(payload) != h.checksum:
                    raise CorruptSegmentError(
                        f"the image under key {self.key!r} failed its checksum (damaged segment)"
                    )
                borrows = BorrowCount.open(self.key) if borrow else None
                image = read_pixels(h, payload, borrow=borrows is not None)
                if borrows is not None and not segment.release_views():
                    # The image maps the segment. Count the borrow while we hold the lock, so the
                    # sender sees it before its next write; freeing the image gives it back.
                    borrows.add()
                    weakref.finalize(image, borrows.take_back)
                return Received(image, info)
            finally:
                segment.release_views()

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
        start = peek_start(self.sysv_key, self.key) or b""
        if hdr.has_magic(start):
            raise CorruptSegmentError(
                f"the share under key {self.key!r} has lost its lock semaphore; "
                f"remove it with 'imgshare remove --key {self.key}'"
            )
        if any(start):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )


def when_shared(wait: float, attempt, on_miss=None):
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


def _identity(info: ShareInfo | None) -> tuple[object, ...] | None:
    return None if info is None else info.identity
