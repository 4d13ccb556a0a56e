"""The receiver: reads the image shared under a key, lock-free (docs/protocol.md §10), validates
everything, and returns a Pillow image (an Image16 for 16-bit colour) or a numpy array."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from . import arrays
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import NotSharedError
from .info import Received, ReceivedArray, ShareInfo
from .kinds import ChannelKind
from .layout import descriptor as dsc
from .pixels import maps_payload, read_image
from .reader import KeyReader, PixelReader
from .sysv.semset import WakeResult
from .waiting import when_shared

_NOTHING_POLL = 0.1  # seconds between looks while following a key that has no sender
_WAKE_BOUND = 0.5  # longest single sleep on the new-image signal (§11.3: then look at the key again)


class Receiver:
    """Reads the image shared under a key: `image, info = Receiver("169254").receive()`."""

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, verify: bool = True):
        self._reader = KeyReader(key)
        self.key = key
        self.sysv_key = self._reader.sysv
        self.verify = verify

    # -- public API --------------------------------------------------------------------------------
    def receive(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0, verify: bool | None = None,
                borrow: bool = False) -> Received:
        """The current image and its metadata.

        wait is how long to wait for something to be shared at all (NotSharedError after it); timeout
        bounds a read that keeps being overtaken (LockTimeoutError). verify=False skips the payload
        checksum (a share made without one is never verified). borrow=True may return an image that maps
        the shared memory instead of a copy (modes L, P, RGBA, I;16 without padding): the sender never
        writes its slot while the image lives. Modes RGB;16 and RGBA;16 come as an imgshare.Image16.
        """
        reader = self._pillow_reader(borrow)
        return when_shared(wait, lambda: _received(self._read_now(timeout, verify, reader, borrow)),
                           self._reader.forget)

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
        return when_shared(wait, lambda: _received_array(self._read_now(timeout, verify, reader, borrow)),
                           self._reader.forget)

    def receive_new(self, last: ShareInfo | None, timeout: float, *,
                    lock_timeout: float = DEFAULT_LOCK_TIMEOUT, verify: bool | None = None,
                    borrow: bool = False) -> Received | None:
        """The newest image if it differs from last, waiting up to timeout for one; else None.

        Sleeps on the key's new-image signal, so waiting costs nothing; a receiver that fell behind
        gets the newest image, never an older one (info.missed_since(last) counts the skipped ones).
        While nothing is shared it looks again every 0.1 s.
        """
        got = self._newer(last, timeout, lock_timeout, verify, self._pillow_reader(borrow), borrow)
        return None if got is None else _received(got)

    def receive_array_new(self, last: ShareInfo | None, timeout: float, *,
                          lock_timeout: float = DEFAULT_LOCK_TIMEOUT, verify: bool | None = None,
                          borrow: bool = False, out: Any = None, channels: str | None = None
                          ) -> ReceivedArray | None:
        """receive_new() for numpy arrays, with receive_array()'s choices."""
        reader = self._array_reader(borrow, out, arrays.wants_bgr(channels))
        got = self._newer(last, timeout, lock_timeout, verify, reader, borrow)
        return None if got is None else _received_array(got)

    def info(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0) -> ShareInfo:
        """The metadata of the current share, without reading its pixels."""
        return when_shared(wait, lambda: self._read_now(timeout, False, None, False)[0], self._reader.forget)

    def close(self) -> None:
        """Detach (a segment still mapped by a borrowed image or array is detached once that is gone)."""
        self._reader.forget()

    def __del__(self) -> None:
        # A forgotten receiver must not keep its segments attached (that would keep a dead sender's
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
    @staticmethod
    def _pillow_reader(borrow: bool) -> PixelReader:
        def read(d: dsc.Descriptor, payload: memoryview, verify: bool) -> tuple[Any, bool]:
            return read_image(d, payload, borrow=borrow, verify=verify), maps_payload(d, borrow)
        return read

    @staticmethod
    def _array_reader(borrow: bool, out: Any, want_bgr: bool) -> PixelReader:
        def read(d: dsc.Descriptor, payload: memoryview, verify: bool) -> tuple[Any, bool]:
            return arrays.read_array(d, payload, borrow=borrow, out=out, want_bgr=want_bgr, verify=verify)
        return read

    def _read_now(self, timeout: float, verify: bool | None, reader: PixelReader | None,
                  borrow: bool) -> tuple[ShareInfo, Any]:
        got = self._reader.read(timeout, self.verify if verify is None else verify, reader, borrow=borrow)
        assert got is not None  # only a newer_than read finds nothing new
        return got

    def _newer(self, last: ShareInfo | None, timeout: float, lock_timeout: float, verify: bool | None,
               reader: PixelReader, borrow: bool) -> tuple[ShareInfo, Any] | None:
        deadline = time.monotonic() + max(0.0, timeout)
        newer_than = None if last is None else last.identity
        check = self.verify if verify is None else verify
        while True:
            seen = self._reader.wake_seen()  # looks the key up (§10.1): the read below need not again
            try:
                got = self._reader.read(lock_timeout, check, reader, borrow=borrow, newer_than=newer_than,
                                        look_up=seen is None)
            except NotSharedError:
                got, seen = None, None
            if got is not None:
                return got
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if seen is None or self._reader.wait_for_share(seen, min(remaining, _WAKE_BOUND)) is WakeResult.REMOVED:
                time.sleep(min(max(0.0, deadline - time.monotonic()), _NOTHING_POLL))


def _received(got: tuple[ShareInfo, Any]) -> Received:
    return Received(got[1], got[0])


def _received_array(got: tuple[ShareInfo, Any]) -> ReceivedArray:
    return ReceivedArray(got[1], got[0])
