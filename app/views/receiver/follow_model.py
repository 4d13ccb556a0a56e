"""The Receiver tab's follow mode, with no widgets: a thread that follows a key, and a frame-rate meter.

The thread runs imgshare.following.follow() with a Receiver of its own, makes each frame's display copy
(display_base) before handing it on, and closes the Receiver when it ends. Stopping only sets an event:
the thread notices within about half a second and ends by itself, so the Tk thread never waits. From
start() to stop() it holds the key's follow mark (window_follows.py): imgshare.show() asks whether a
window follows the key.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ...following import FollowEvent, FollowKind, follow
from ...ipc import DEFAULT_LOCK_TIMEOUT, ImgShareError, NotSharedError, Receiver, ShareInfo
from ...window_follows import FollowMark
from ..imageview.display import display_base
from .model import Got, shared_in_qt_format


@dataclass(frozen=True)
class Gone:
    """Nothing is shared in imgshare's format under the key any more (or, with info None, yet)."""

    info: ShareInfo | None  # the last share followed; None: nothing was shared when following began
    qt_format: bool  # the key is shared in Qt's format now: its sender ticked Qt compatible


class FollowingThread:
    """What a follow session offers the Receiver's Follow toggle: a daemon thread running _run() until
    stop(); `missed` counts the shares skipped between two frames it delivered (an int: GIL-safe)."""

    says_state = False  # True: it tells its source's state in words (a bridge); else through on_gone

    def __init__(self, key: str, name: str):
        self.key = key
        self._stop = threading.Event()
        self.missed = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> FollowingThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end (it closes what it opened itself); returns at once."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError


class FollowThread(FollowingThread):
    """Follows key from a thread; on_frame(Got), on_gone(Gone), on_error(ImgShareError) run on it."""

    def __init__(self, key: str, on_frame: Callable[[Got], None], on_gone: Callable[[Gone], None],
                 on_error: Callable[[ImgShareError], None], lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 verify: bool = True):
        self._receiver = Receiver(key)  # validates the key here, on the caller's thread
        super().__init__(key, f"imgshare-follow-{key}")
        self._on_frame, self._on_gone, self._on_error = on_frame, on_gone, on_error
        self._lock_timeout = lock_timeout
        self._verify = verify
        self._mark: FollowMark | None = None

    def start(self) -> FollowThread:
        self._mark = FollowMark.take(self.key)  # imgshare.show() sees that a window follows the key
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        if self._mark is not None:
            self._mark.release()
            self._mark = None

    def _run(self) -> None:
        try:
            self._say_if_qt_format()
            for event in follow(self._receiver, self._stop, verify=self._verify,
                                lock_timeout=self._lock_timeout):
                if self._stop.is_set():
                    return
                self._deliver(event)
        finally:
            self._receiver.close()

    def _say_if_qt_format(self) -> None:
        """Following began while the key is shared in Qt's format only: say so at once."""
        try:
            self._receiver.info(timeout=self._lock_timeout)
        except NotSharedError:
            if shared_in_qt_format(self.key, self._lock_timeout):
                self._on_gone(Gone(None, True))
        except ImgShareError:
            pass  # busy or damaged: following says so

    def _deliver(self, event: FollowEvent) -> None:
        if event.kind is FollowKind.FRAME and event.received is not None:
            self.missed += event.missed
            image, info = event.received
            self._on_frame(Got(image, info, display_base(image)))
        elif event.kind is FollowKind.GONE and event.info is not None:
            self._on_gone(Gone(event.info, shared_in_qt_format(self.key, self._lock_timeout)))
        else:
            self._on_error(event.error or ImgShareError("following failed"))


class RateMeter:
    """Events per second over the last `window` seconds: `meter.tick()` per event, `meter.rate()`.

    Thread-safe: the follow thread ticks while the Tk thread reads and resets, so every method holds
    one lock (trimming checks the oldest time and then drops it; another thread between the two would
    make the drop fail).
    """

    def __init__(self, window: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.count = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._times: collections.deque[float] = collections.deque()

    def tick(self) -> None:
        with self._lock:
            self.count += 1
            self._times.append(self._clock())
            self._trim()

    def rate(self) -> float:
        with self._lock:
            self._trim()
            return len(self._times) / self.window

    def reset(self) -> None:
        with self._lock:
            self._times.clear()

    def _trim(self) -> None:
        """Drop the times older than the window; the caller holds the lock."""
        cutoff = self._clock() - self.window
        while self._times and self._times[0] < cutoff:
            self._times.popleft()


def rate_text(shown: float, received: float) -> str:
    if received <= 0 and shown <= 0:
        return "no new frames"
    return f"{shown:.1f} fps shown ({received:.1f} received)"


def follow_age_text(seconds: float) -> str:
    """Age of a followed frame: tenths of a second while frames are fresh."""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s" if seconds < 60 else \
        f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
