"""Signals on the command line: while loading, a signal aborts at once (nothing is shared); while
serving, it only sets a flag, so the sender always gets to remove what it made."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """A signal arrived while the command could still give up cleanly (a BaseException, like
    KeyboardInterrupt, so no `except Exception` on the way swallows it)."""

    def __init__(self, signum: int, outcome: str = "nothing was done"):
        super().__init__(signum)
        self.signum = signum
        self.outcome = outcome  # what the user is left with, e.g. "nothing was shared"

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for Ctrl+C, 143 for SIGTERM


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP become `stop` (an Event); inside `aborting()`, they raise Stopped."""

    def __init__(self, outcome: str = "nothing was done") -> None:
        self.outcome = outcome
        self.stop = threading.Event()
        self.signum: int | None = None
        self._aborting = False
        for sig in SIGNALS:
            signal.signal(sig, self._handle)

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

    def wait(self) -> None:
        while not self.stop.wait(0.5):
            pass

    @property
    def exit_code(self) -> int | None:
        """128 + the signal's number once one arrived, else None."""
        return None if self.signum is None else 128 + self.signum
