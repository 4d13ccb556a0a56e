"""Qt's lock as imgshare uses it: one System V semaphore (a QSystemSemaphore), value 1 free, every
operation with SEM_UNDO so a killed holder frees it, waits bounded with semtimedop (docs/qt.md)."""

from __future__ import annotations

import errno
import time
from types import TracebackType

import sysv_ipc

from ..errors import AccessDeniedError, LockTimeoutError, NotSharedError
from ..sysv import libc


class KeyLock:
    """The semaphore of one Qt key; `with lock.held(timeout):` around segment access."""

    def __init__(self, semaphore: sysv_ipc.Semaphore, key_name: str) -> None:
        self._sem = semaphore
        self._key_name = key_name
        self.held_now = False

    @property
    def id(self) -> int:
        return int(self._sem.id)

    def acquire(self, timeout: float) -> None:
        """Take the lock within timeout seconds or raise LockTimeoutError; NotSharedError if removed."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            result = libc.semop(self.id, [(0, -1, libc.SEM_UNDO)], max(0.0, deadline - time.monotonic()))
            if result == 0:
                self.held_now = True
                return
            if result == errno.EINTR and time.monotonic() < deadline:
                continue  # a signal: its Python handler runs now, then we wait for the rest
            if result in (errno.EIDRM, errno.EINVAL):
                raise NotSharedError(f"nothing is shared under the key {self._key_name!r}")
            if result in (errno.EACCES, errno.EPERM):
                raise AccessDeniedError(f"permission denied for the lock of key {self._key_name!r}")
            raise LockTimeoutError(f"the lock of key {self._key_name!r} stayed busy for {timeout:g} s; "
                                   "another process holds it, try again")

    def release(self) -> None:
        if not self.held_now:
            return
        self.held_now = False
        libc.semop(self.id, [(0, 1, libc.SEM_UNDO)])  # removed meanwhile (by ourselves): nothing to do

    def held(self, timeout: float) -> _Held:
        return _Held(self, timeout)

    def remove(self) -> None:
        """Remove the semaphore (only ever called by whoever created it)."""
        self.held_now = False
        try:
            self._sem.remove()
        except sysv_ipc.ExistentialError:
            pass


class _Held:
    def __init__(self, lock: KeyLock, timeout: float) -> None:
        self._lock, self._timeout = lock, timeout

    def __enter__(self) -> KeyLock:
        self._lock.acquire(self._timeout)
        return self._lock

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._lock.release()
