"""The process's life, in one place for every entry point (no Tk): a quiet stop while imgshare starts,
the exit code a signal gives, signals turned into a clean stop for the commands and the window, and the
same for scripts that use the library.

Entry points: `python -m imgshare` and the frozen binary both run app/__main__.py (the PyInstaller spec
uses that file as its entry script), which holds Ctrl+C back before anything else is imported and calls
main(); the `imgshare` console script calls main() directly. main() runs `stop_at_once_on_ctrl_c()`
while it loads, then the command, which handles signals with StopSignals (the CLI) or
`on_stop_signals()` (the window).

Library users: `exit_on_signals()` makes SIGTERM and SIGHUP end a script as Ctrl+C does, so `with
Sender(...)` blocks run and remove their shares; `with StopSignals() as stop:` turns them into a flag a
script's loop checks (`stop.requested`) or waits on (`stop.wait()`) and then ends by itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl+C, kill / systemctl stop, a closed terminal


def exit_code_of(signum: int) -> int:
    """The exit code of a run stopped by signal signum: the shell's 128 + N (130 Ctrl+C, 143 SIGTERM)."""
    return 128 + signum


INTERRUPTED = exit_code_of(signal.SIGINT)  # 130
_INTERRUPTED_LINE = b"imgshare: interrupted\n"


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# -- starting ----------------------------------------------------------------------------------------

def stop_at_once_on_ctrl_c() -> Callable[[], None]:
    """While imgshare loads, Ctrl+C ends it at once: nothing is shared yet, so nothing needs cleaning
    up, and Python's KeyboardInterrupt could land inside an import's callback, where it is printed as
    "Exception ignored" and lost. app/__main__.py blocks SIGINT before it imports anything; a Ctrl+C
    held back that way arrives here, once the handler is in place. Returns what puts the previous
    handler back."""
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


# -- commands: while loading, a signal aborts at once (nothing is shared); while serving, it only sets a
# flag, so the sender always gets to remove what it made ------------------------------------------------

class Stopped(BaseException):
    """A signal arrived while the command could still give up cleanly (a BaseException, like
    KeyboardInterrupt, so no `except Exception` on the way swallows it)."""

    def __init__(self, signum: int, outcome: str = "nothing was done"):
        super().__init__(signum)
        self.signum = signum
        self.outcome = outcome  # what the user is left with, e.g. "nothing was shared"

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.signum)


class StopSignals:
    """From its creation until `restore()` (or the end of a `with` block), the stop signals only set a
    flag: `stop.requested`, `stop.wait()`, `stop.signum`; inside `aborting()` they raise Stopped instead.
    For a script that serves until stopped (main thread only):

        with imgshare.StopSignals() as stop, imgshare.Sender("demo") as sender:
            sender.share(image)
            stop.wait()            # Ctrl+C, SIGTERM or SIGHUP; then the with block removes the share

    or shares frame after frame `while not stop.requested`. A signal that came before wait() is not lost.
    """

    def __init__(self, outcome: str = "nothing was done", signals: Iterable[int] = STOP_SIGNALS) -> None:
        self.outcome = outcome
        self.stop = threading.Event()
        self.signum: int | None = None
        self._aborting = False
        self._previous = {sig: signal.signal(sig, self._handle) for sig in signals}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        self.stop.set()
        if self._aborting:
            raise Stopped(signum, self.outcome)

    @contextlib.contextmanager
    def aborting(self) -> Iterator[None]:
        """Within this block, a signal raises Stopped wherever the main thread is (a decode loop, a
        blocking read of standard input)."""
        if self.signum is not None:
            raise Stopped(self.signum, self.outcome)
        self._aborting = True
        try:
            yield
        except Exception:
            if self.signum is not None:  # the signal came first; its own Stopped may have been lost
                raise Stopped(self.signum, self.outcome) from None  # (raised inside a __del__, say)
            raise
        finally:
            self._aborting = False

    @property
    def requested(self) -> bool:
        """Whether a stop signal has arrived."""
        return self.stop.is_set()

    def finish(self) -> None:
        """End the wait without a signal: the program's own work is over (the last frame of a replay)."""
        self.stop.set()

    def wait(self) -> int | None:
        """Block until a stop signal arrives or finish() is called (at once if either happened already);
        returns the signal's number, or None when the program finished by itself."""
        # A bounded wait, again and again: Python runs the handler between two waits, never inside one.
        while not self.stop.wait(0.5):
            pass
        return self.signum

    def restore(self) -> None:
        """Put back the handlers that were there before."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)

    def __enter__(self) -> StopSignals:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    @property
    def exit_code(self) -> int | None:
        """128 + the signal's number once one arrived, else None."""
        return None if self.signum is None else exit_code_of(self.signum)


# -- the window --------------------------------------------------------------------------------------

def on_stop_signals(stop: Callable[[], None], signals: Iterable[int] = STOP_SIGNALS) -> None:
    """Each of signals calls stop() (on the main thread, between two Python steps): the window passes
    one that schedules its clean close on the Tk loop, rather than closing inside the handler."""
    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    for sig in signals:
        signal.signal(sig, handler)


# -- library users -----------------------------------------------------------------------------------

def exit_on_signals(signals: Iterable[int] = STOP_SIGNALS) -> None:
    """From now on each of signals (Ctrl+C, SIGTERM from `kill`, `docker stop` or `systemctl stop`, and
    SIGHUP) ends the program as an uncaught exception does: the main thread's `with` blocks and `finally`
    clauses run, so `with Sender(...)` removes its share, then Python exits with 128 + the signal's
    number (143 for SIGTERM). Further signals are ignored while that clean-up runs, so it finishes.
    Call it once, from the main thread, before sharing. (StopSignals is the gentler way: nothing is
    interrupted half way, the script's loop ends by itself.)"""
    chosen = tuple(signals)

    def handler(signum: int, frame: FrameType | None) -> None:
        for sig in chosen:
            signal.signal(sig, signal.SIG_IGN)
        raise SystemExit(exit_code_of(signum))

    for sig in chosen:
        signal.signal(sig, handler)
