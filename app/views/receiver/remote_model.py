"""A remote address where a key goes (tcp://host:5555/K), with no widgets: receive one image from a
bridge server, or follow it in a thread, with the bridge's state in words. The counterpart of
follow_model.FollowThread for keys on another host (imgshare bridge serve there)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PIL import Image

from ...bridge.address import parse_address
from ...bridge.images import ImageSink
from ...bridge.puller import Puller
from ...bridge.status import PullState, PullStatus
from ...image16 import Image16
from ...ipc import ImgShareError, ShareInfo, WaitTimeoutError
from ..imageview.display import display_base
from .follow_model import FollowingThread
from .model import Got


def receive_remote(address_text: str, timeout: float) -> Got:
    """The newest image a bridge server publishes at address_text, pulled once (UsageError for a bad
    address, WaitTimeoutError with the bridge's state when nothing came within timeout)."""
    address = parse_address(address_text, listening=False)
    got: list[Got] = []
    stop = threading.Event()

    def deliver(image: Image.Image | Image16, info: ShareInfo) -> None:
        got.append(Got(image, info, display_base(image)))
        stop.set()
    puller = Puller(address, ImageSink(address_text, deliver))
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        puller.run(stop)
    finally:
        timer.cancel()
    if not got:
        raise WaitTimeoutError(f"no image came from {address_text} within {timeout:g} s ({puller.status.words()})")
    return got[0]


class RemoteFollowThread(FollowingThread):
    """Follows a bridge address from a thread, as FollowThread follows a key: on_frame(Got), on_error(exc)
    and on_status(words, connected) (the bridge's state changed: connected, waiting for the server,
    source gone) run on it."""

    says_state = True

    def __init__(self, key: str, on_frame: Callable[[Got], None], on_error: Callable[[ImgShareError], None],
                 on_status: Callable[[str, bool], None]):
        address = parse_address(key, listening=False)  # a bad address fails here, on the caller's thread
        super().__init__(key, "imgshare-follow-remote")
        self._on_frame, self._on_error, self._on_status = on_frame, on_error, on_status
        self._last: ShareInfo | None = None
        self._state: PullState | None = None
        self._puller = Puller(address, ImageSink(key, self._deliver), on_status=self._status)

    def _run(self) -> None:
        try:
            self._puller.run(self._stop)
        except ImgShareError as exc:  # the server publishes no such key...: said once, following ends
            self._on_error(exc)

    def _deliver(self, image: Image.Image | Image16, info: ShareInfo) -> None:
        if self._stop.is_set():
            return
        self.missed += info.missed_since(self._last)
        self._last = info
        self._on_frame(Got(image, info, display_base(image)))

    def _status(self, status: PullStatus) -> None:
        if status.state is self._state or self._stop.is_set():
            return
        self._state = status.state
        self._on_status(status.words(), status.state is PullState.CONNECTED)
