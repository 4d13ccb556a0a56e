"""The receiver: finds the image under a key, validates everything, and returns a Pillow image.

Order matters: take the lock first, then open the segment by key. A sender swapping segments holds the
lock, so a receiver never sees the key between the old segment and the new one.
"""

from __future__ import annotations

import time

import xxhash

from . import header as hdr
from .errors import CorruptSegmentError, ForeignSegmentError, NotSharedError
from .info import Received, ShareInfo
from .keys import sysv_key, validate_key
from .lock import KeyLock
from .pixels import read_pixels
from .segment import Segment, holds_foreign_data

_APPEAR_POLL = 0.02  # seconds between looks while --wait-ing for a share to appear


class Receiver:
    """Reads the image shared under a key: `image, info = Receiver("169254").receive()`."""

    def __init__(self, key: str, *, verify: bool = True):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self.verify = verify
        self._borrowed: Segment | None = None  # the segment a borrowed image maps, if any

    def receive(self, timeout: float = 5.0, *, wait: float = 0.0, verify: bool | None = None,
                borrow: bool = False) -> Received:
        """The current image and its metadata.

        timeout bounds the wait for a busy lock (LockTimeoutError); wait is how long to wait for
        something to be shared at all (NotSharedError after it). verify=False skips only the payload
        checksum, for streaming. borrow=True may return an image that maps the segment instead of a
        copy: it stays valid until this receiver's next receive() or close().
        """
        check = self.verify if verify is None else verify
        return self._when_shared(wait, lambda: self._read(timeout, check, borrow))

    def info(self, timeout: float = 5.0, *, wait: float = 0.0) -> ShareInfo:
        """The metadata of the current share, without reading its pixels."""
        return self._when_shared(wait, lambda: self._read(timeout, False, False, pixels=False))

    def close(self) -> None:
        self._drop_borrowed()

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _when_shared(self, wait: float, attempt):
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                return attempt()
            except NotSharedError:
                if time.monotonic() + _APPEAR_POLL > deadline:
                    raise
                time.sleep(_APPEAR_POLL)

    def _refuse_foreign_early(self) -> None:
        """Refuse a foreign segment without touching its lock (a foreign semaphore may be held forever)."""
        if holds_foreign_data(self.sysv_key, self.key):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )

    def _read(self, timeout: float, verify: bool, borrow: bool, pixels: bool = True):
        self._refuse_foreign_early()
        try:
            lock = KeyLock.open(self.sysv_key, self.key, timeout)
        except NotSharedError:
            self._explain_missing_lock()
            raise
        with lock.held(timeout):
            segment = Segment.open(self.sysv_key, self.key, read_only=True)
            keep = False
            try:
                h = hdr.unpack_header(segment.read(0, hdr.HEADER_SIZE), segment.size)
                info = ShareInfo.from_header(h, self.sysv_key, segment.id, segment.size)
                if not pixels:
                    return info
                payload = segment.view(h.header_size, h.payload_length)
                if verify and xxhash.xxh3_64_intdigest(payload) != h.checksum:
                    raise CorruptSegmentError(
                        f"the image under key {self.key!r} failed its checksum (damaged segment)"
                    )
                image = read_pixels(h, payload, borrow)
                if borrow and not segment.release_views():
                    keep = True  # the image maps the segment: keep it attached until next time
                return Received(image, info)
            finally:
                if keep:
                    self._drop_borrowed()
                    self._borrowed = segment
                else:
                    segment.detach()

    def _explain_missing_lock(self) -> None:
        """No lock at the key: nothing shared, unless a segment of ours lost its lock."""
        try:
            segment = Segment.open(self.sysv_key, self.key, read_only=True)
        except NotSharedError:
            return
        try:
            start = segment.read(0, len(hdr.MAGIC))
        finally:
            segment.detach()
        if hdr.has_magic(start):
            raise CorruptSegmentError(
                f"the share under key {self.key!r} has lost its lock semaphore; "
                f"remove it with 'imgshare remove --key {self.key}'"
            )
        if any(start):
            raise ForeignSegmentError(
                f"the key {self.key!r} holds another program's shared memory, not an imgshare image"
            )

    def _drop_borrowed(self) -> None:
        if self._borrowed is not None:
            self._borrowed.detach()
            self._borrowed = None
