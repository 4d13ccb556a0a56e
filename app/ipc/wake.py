"""The new-image signal: a semaphore whose value counts shares, so receivers sleep until the next one.

The sender raises it by one after every publish, holding the key's lock. A receiver notes its value
when it reads (also under the lock) and then waits, in one atomic semop, until the value is higher:
every waiting receiver wakes at once, none consumes another's wake-up, and nothing runs while idle.
The count wraps before the semaphore maximum (32767), decided on the value before the increment: at
WRAP_AT or above the sender sets it to the maximum, which wakes every waiter, then back to 1.
"""

from __future__ import annotations

import enum
import errno
import time

import sysv_ipc

from . import auxsem, semtimedop
from .keys import wake_sysv_key

WRAP_AT = 32000
SEM_MAX = 32767
_POLL = 0.005  # seconds between looks where semtimedop is missing


class WakeResult(enum.Enum):
    """How a wait for the next share ended."""

    SIGNALLED = "signalled"  # a share (or a wrap-around) happened
    TIMEOUT = "timeout"
    REMOVED = "removed"  # the sender stopped and removed its objects


class WakeSignal:
    """The wake semaphore of one key."""

    def __init__(self, semaphore: sysv_ipc.Semaphore):
        self._sem = semaphore

    @classmethod
    def create(cls, key: str) -> WakeSignal | None:
        """For senders: a new signal at 0; None if the key has one already."""
        sem = auxsem.create(wake_sysv_key(key))
        return cls(sem) if sem is not None else None

    @classmethod
    def open(cls, key: str) -> WakeSignal | None:
        """The key's signal; None while the key has no sender."""
        sem = auxsem.open_existing(wake_sysv_key(key))
        return cls(sem) if sem is not None else None

    def value(self) -> int:
        try:
            return int(self._sem.value)
        except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
            return -1

    def signal(self) -> None:
        """One more share (call holding the key's lock)."""
        try:
            if self._sem.value >= WRAP_AT:
                self._sem.value = SEM_MAX  # wakes everyone waiting for any count up to the maximum
                self._sem.value = 1
            else:
                self._sem.release()
        except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
            pass

    def wait_beyond(self, seen: int, seconds: float) -> WakeResult:
        """Sleep until the count differs from seen, for at most seconds."""
        current = self.value()
        if current < 0:
            return WakeResult.REMOVED
        if current != seen:
            return WakeResult.SIGNALLED  # a share (or a wrap-around) happened since seen was read
        if not semtimedop.AVAILABLE:
            return self._poll_beyond(seen, seconds)
        deadline = time.monotonic() + seconds
        while True:
            result = semtimedop.wait_at_least(self._sem.id, min(seen + 1, SEM_MAX),
                                              max(0.0, deadline - time.monotonic()))
            if result == 0:
                return WakeResult.SIGNALLED
            if result == errno.EINTR and time.monotonic() < deadline:
                continue
            if result in (errno.EIDRM, errno.EINVAL):
                return WakeResult.REMOVED
            return WakeResult.TIMEOUT

    def _poll_beyond(self, seen: int, seconds: float) -> WakeResult:
        deadline = time.monotonic() + seconds
        while True:
            value = self.value()
            if value < 0:
                return WakeResult.REMOVED
            if value != seen:
                return WakeResult.SIGNALLED
            if time.monotonic() >= deadline:
                return WakeResult.TIMEOUT
            time.sleep(_POLL)

    def remove(self) -> None:
        auxsem.remove(self._sem)
