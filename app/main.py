"""Entry point: no arguments opens the window; a command runs the command-line tool."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

INTERRUPTED = 130  # what a shell reports for a program stopped by Ctrl+C (128 + SIGINT)
_INTERRUPTED_LINE = b"imgshare: interrupted\n"


def main(argv: list[str] | None = None) -> int:
    """Run imgshare; a Ctrl+C at any moment, even while it is still loading, stops it quietly (130)."""
    restore = _stop_at_once_on_ctrl_c()
    try:
        from .frozen import prepare
        prepare()  # usable streams, crash logging, frozen-launcher handling: before anything else
        args = sys.argv[1:] if argv is None else argv
        from .cli import run
    finally:
        restore()  # from here on the command handles Ctrl+C (KeyboardInterrupt, or its own handler)
    try:
        return run(args)  # no arguments, image files or --key alone: the window (cli/routing.py)
    except KeyboardInterrupt:  # outside the command's own handling (its argument parsing, say)
        return interrupted()


def _stop_at_once_on_ctrl_c() -> Callable[[], None]:
    """While imgshare loads, Ctrl+C ends it at once: nothing is shared yet, so nothing needs cleaning
    up, and Python's KeyboardInterrupt could land inside an import's callback, where it is printed as
    "Exception ignored" and lost. The entry scripts (__main__.py, the frozen entry) block SIGINT
    before they import this module; a Ctrl+C held back that way arrives here, once the handler is in
    place. Returns what puts the previous handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # a library's call from another thread: signals are not ours
    previous = signal.getsignal(signal.SIGINT)
    if previous in (None, signal.SIG_IGN):  # ignored, or set outside Python: leave it so
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return lambda: None

    def stop(signum: int, frame: FrameType | None) -> None:
        try:
            os.write(2, _INTERRUPTED_LINE)
        except OSError:  # no usable stderr: the exit code says it
            pass
        os._exit(INTERRUPTED)

    signal.signal(signal.SIGINT, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a held-back Ctrl+C is handled now

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)
    return restore


def interrupted() -> int:
    """The one line and the exit code of a run stopped by Ctrl+C outside a command's own handling."""
    try:
        sys.stderr.write(_INTERRUPTED_LINE.decode())
    except (OSError, ValueError, KeyboardInterrupt):  # no usable stderr, or a second Ctrl+C
        pass
    return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
