"""The new-image signal: a semaphore whose value counts shares, so receivers sleep until the next one.

The sender raises it by one after every share, holding the key's lock. A receiver notes its value
when it reads (also under the lock) and then waits, in one atomic semop, until the value is higher:
every waiting receiver wakes at once, none consumes another's wake-up, and nothing runs while idle.
The count wraps before the semaphore maximum (32767): the sender first raises it to the maximum, which
wakes every waiter, then sets it back to 1.
"""

from __future__ import annotations

import errno
import time

import sysv_ipc

from . import auxsem, semtimedop
from .keys import wake_sysv_key

WRAP_AT = 32000
SEM_MAX = 32767


class WakeSignal:
    """The wake semaphore of one key."""

    def __init__(self, semaphore: sysv_ipc.Semaphore):
        self._sem = semaphore

    @classmethod
    def open_or_create(cls, key: str) -> WakeSignal | None:
        """For senders."""
        sem = auxsem.open_or_create(wake_sysv_key(key))
        return cls(sem) if sem is not None else None

    @classmethod
    def open(cls, key: str) -> WakeSignal | None:
        """For followers; None while the key has no sender."""
        sem = auxsem.open_existing(wake_sysv_key(key))
        return cls(sem) if sem is not None else None

    def value(self) -> int:
        try:
            return self._sem.value
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

    def wait_beyond(self, seen: int, seconds: float) -> str:
        """Sleep until the count passes seen, for at most seconds.

        Returns "signalled", "timeout" or "removed" (the sender stopped and removed its objects).
        """
        current = self.value()
        if current < 0:
            return "removed"
        if current != seen:
            return "signalled"  # a share (or a wrap-around) happened since seen was read
        if not semtimedop.AVAILABLE:
            return self._poll_beyond(seen, seconds)
        deadline = time.monotonic() + seconds
        while True:
            result = semtimedop.wait_at_least(self._sem.id, min(seen + 1, SEM_MAX),
                                              max(0.0, deadline - time.monotonic()))
            if result == 0:
                return "signalled"
            if result == errno.EINTR and time.monotonic() < deadline:
                continue
            if result in (errno.EIDRM, errno.EINVAL):
                return "removed"
            return "timeout"

    def _poll_beyond(self, seen: int, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while True:
            value = self.value()
            if value < 0:
                return "removed"
            if value != seen:
                return "signalled"
            if time.monotonic() >= deadline:
                return "timeout"
            time.sleep(0.005)

    def remove(self) -> None:
        auxsem.remove(self._sem)
