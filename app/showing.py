"""imgshare.show(image, "name"): OpenCV's imshow for imgshare. It shares the image (a Pillow image or a
numpy array) under the key "name" and makes sure a window follows that key, starting one if none
does; later calls share again, and the window shows each image as it comes.

The share outlives the call: the module keeps one Sender per key, for scripts and notebooks alike,
and removes them at interpreter exit and on SIGTERM (when nothing else handles SIGTERM), or on
close(). A window started here is `imgshare gui --receive --follow --key NAME` in a session of its
own: it outlives the script, showing the last image. Whether some window follows the key already
(one started by hand, or by an earlier script) is window_follows.py's mark; a window this module
started and that is still starting counts too. Without a display, the image is shared all the same
and a warning says no window can follow it.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import warnings
from types import FrameType
from typing import Any

from PIL import Image

from .ipc import Sender
from .relaunch import this_program
from .window_follows import window_follows

DEFAULT_NAME = "show"


class _Shown:
    """The module's state: the senders it keeps, the windows it started, the warnings it gave."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # show() may be called from several threads
        self.senders: dict[str, Sender] = {}
        self.windows: dict[str, subprocess.Popen[bytes]] = {}
        self.given_up: set[str] = set()  # keys whose window could not start: said once, not retried
        self.hooked = False


_shown = _Shown()


def show(image: Image.Image | Any, name: str = DEFAULT_NAME, *, channels: str | None = None,
         window: bool = True) -> int:
    """Share image under the key name (the first call makes its Sender, later calls share again) and,
    with window, make sure a window follows the key. Returns the share's sequence number.

    channels="BGR" (or "BGRA") carries an OpenCV array's order as it is, as Sender.share does. Errors
    are imgshare's typed errors (KeyInUseError when another program shares under name, ...).
    """
    with _shown.lock:
        sender = _shown.senders.get(name)
        if sender is None:
            sender = Sender(name)  # InvalidKeyError for a bad name, before anything is kept
            _hook_exit()
            _shown.senders[name] = sender
        sequence = sender.share(image, channels=channels)
        if window:
            _ensure_window(name)
        return sequence


def close(name: str | None = None) -> None:
    """Stop sharing under name (all names when None): the share is removed; a window following it
    stays, showing the last image, and follows the key again if show() shares under it later."""
    with _shown.lock:
        names = list(_shown.senders) if name is None else [name]
        for each in names:
            sender = _shown.senders.pop(each, None)
            if sender is not None:
                sender.close()
            _shown.given_up.discard(each)


def _ensure_window(name: str) -> None:
    """Start `imgshare gui --receive --follow --key name` unless a window follows the key already."""
    started = _shown.windows.get(name)
    if started is not None:
        code = started.poll()
        if code is None:
            return  # ours: starting, or running
        del _shown.windows[name]
        if code != 0:  # it failed (closed by the user is 0): say so once rather than start it at every call
            _give_up(name, f"the window for {name!r} ended with exit code {code}")
    if name in _shown.given_up or window_follows(name):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        _give_up(name, "there is no display (DISPLAY is not set)")
        return
    _shown.windows[name] = subprocess.Popen(
        [*this_program(), "gui", "--receive", "--follow", "--key", name], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _give_up(name: str, why: str) -> None:
    if name not in _shown.given_up:
        _shown.given_up.add(name)
        warnings.warn(f"imgshare.show: {why}, so no window follows the key {name!r}; the image is shared "
                      "under it all the same (imgshare gui --receive --follow --key ... shows it)",
                      RuntimeWarning, stacklevel=4)


def _hook_exit() -> None:
    """Remove the shares at interpreter exit, and on SIGTERM unless the program handles it itself."""
    if _shown.hooked:
        return
    _shown.hooked = True
    atexit.register(close)
    if threading.current_thread() is not threading.main_thread():
        return  # signals can be set from the main thread only; atexit still covers a normal exit
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Remove the shares, then end as SIGTERM ends a program (the shell sees 143)."""
    try:
        close()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
