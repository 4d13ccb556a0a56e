"""The key's lock: one System V semaphore used as a mutex, with SEM_UNDO and a polled timeout.

Rules (docs/protocol.md): value 1 is free, 0 is held. Every acquire uses SEM_UNDO so the kernel frees
the lock of a killed holder. The registry's sysv_ipc wheel cannot time out a blocking acquire, so we
wait in semtimedop() through ctypes (semtimedop.py), or, where the C library lacks it, poll a
non-blocking acquire with a short back-off. A new semaphore is created with IPC_CREX at value 0 and
then released once: the release sets sem_otime, which tells openers the creator finished initialising
it (an existing one is never opened with IPC_CREAT, which would reset its value).
"""

from __future__ import annotations

import errno
import os
import time
from types import TracebackType

import sysv_ipc

from . import semtimedop
from .errors import AccessDeniedError, LockTimeoutError, NotSharedError

_FIRST_BACKOFF = 0.0005
_MAX_BACKOFF = 0.02
# Readers poll a busy lock soon and often: it is held for microseconds (a follower woken by the
# new-image signal finds the sender just releasing it).
_READER_FIRST_BACKOFF = 0.00005
_READER_MAX_BACKOFF = 0.002


class KeyLock:
    """The semaphore of one System V key; use `with lock.held(timeout):` around segment access."""

    def __init__(self, semaphore: sysv_ipc.Semaphore, key_name: str) -> None:
        self._sem = semaphore
        self._sem.undo = True
        self._sem.block = False
        self._key_name = key_name
        self.held_now = False

    @property
    def id(self) -> int:
        return self._sem.id

    @classmethod
    def open(cls, sysv: int, key_name: str, timeout: float) -> KeyLock:
        """Open the existing semaphore at sysv, waiting until its creator has initialised it."""
        try:
            sem = sysv_ipc.Semaphore(sysv, 0)
        except sysv_ipc.ExistentialError:
            raise NotSharedError(f"nothing is shared under the key {key_name!r}") from None
        except sysv_ipc.PermissionsError:
            raise AccessDeniedError(
                f"permission denied for the lock of key {key_name!r} (it belongs to another user)"
            ) from None
        lock = cls(sem, key_name)
        lock._wait_initialised(timeout)
        return lock

    @classmethod
    def open_or_create(cls, sysv: int, key_name: str, timeout: float) -> tuple[KeyLock, bool]:
        """Open the semaphore at sysv, or create it (0600) if there is none; returns (lock, created)."""
        for _ in range(100):  # creation and removal by others can interleave; each turn makes progress
            try:
                sem = sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=0)
            except sysv_ipc.ExistentialError:
                try:
                    return cls.open(sysv, key_name, timeout), False
                except NotSharedError:
                    continue  # removed between our two calls: try to create it again
            except sysv_ipc.PermissionsError:
                raise AccessDeniedError(f"permission denied creating the lock of key {key_name!r}") from None
            sem.release()  # value 0 -> 1 and sets sem_otime: initialised
            return cls(sem, key_name), True
        raise LockTimeoutError(f"the lock of key {key_name!r} keeps being created and removed")

    def _wait_initialised(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = _FIRST_BACKOFF
        while not self._initialised():
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"the lock of key {self._key_name!r} was never initialised by its creator; "
                    "if its sender crashed, run 'imgshare clean'"
                )
            time.sleep(delay)
            delay = min(delay * 2, _MAX_BACKOFF)

    def _initialised(self) -> bool:
        """Whether the creator has released the semaphore once (sem_otime set)."""
        try:
            return bool(self._sem.o_time)
        except sysv_ipc.ExistentialError:
            raise NotSharedError(f"nothing is shared under the key {self._key_name!r}") from None

    def acquire(self, timeout: float, *, queue: bool = True) -> None:
        """Take the lock within timeout seconds or raise LockTimeoutError; NotSharedError if removed.

        queue=False (readers) tries without joining the kernel's FIFO queue, and again after short
        pauses. The kernel hands a released lock to the first queued waiter even before it runs: with
        readers queued, a sender would wait behind every one of them being scheduled in turn (a lock
        convoy on a busy machine). Readers that only poll leave the sender alone in the queue.
        """
        if semtimedop.AVAILABLE and queue:
            self._acquire_waiting(timeout)
        else:
            if queue:
                self._acquire_polling(timeout, _FIRST_BACKOFF, _MAX_BACKOFF)
            else:
                self._acquire_polling(timeout, _READER_FIRST_BACKOFF, _READER_MAX_BACKOFF)
        self.held_now = True

    def _acquire_waiting(self, timeout: float) -> None:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            result = semtimedop.acquire(self._sem.id, deadline - time.monotonic())
            if result == 0:
                return
            if result == errno.EINTR and time.monotonic() < deadline:
                continue  # a signal: its Python handler runs now, then we wait for the rest
            if result in (errno.EIDRM, errno.EINVAL):
                raise NotSharedError(f"nothing is shared under the key {self._key_name!r}")
            if result in (errno.EACCES, errno.EPERM):
                raise AccessDeniedError(f"permission denied for the lock of key {self._key_name!r}")
            if result in (errno.EAGAIN, errno.EINTR):
                raise self._timeout_error(timeout)
            raise OSError(result, os.strerror(result))

    def _timeout_error(self, timeout: float) -> LockTimeoutError:
        return LockTimeoutError(
            f"the lock of key {self._key_name!r} stayed busy for {timeout:g} s; "
            "another process holds it, try again"
        )

    def _acquire_polling(self, timeout: float, first_backoff: float, max_backoff: float) -> None:
        deadline = time.monotonic() + max(0.0, timeout)
        delay = first_backoff
        while True:
            try:
                self._sem.acquire()
                return
            except sysv_ipc.BusyError:
                pass
            except sysv_ipc.ExistentialError:
                raise NotSharedError(f"nothing is shared under the key {self._key_name!r}") from None
            except sysv_ipc.PermissionsError:
                raise AccessDeniedError(f"permission denied for the lock of key {self._key_name!r}") from None
            now = time.monotonic()
            if now >= deadline:
                raise self._timeout_error(timeout)
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, max_backoff)

    def release(self) -> None:
        if not self.held_now:
            return
        self.held_now = False
        try:
            self._sem.release()
        except sysv_ipc.ExistentialError:
            pass  # removed while we held it (we removed it ourselves): nothing to release

    def held(self, timeout: float, *, queue: bool = True) -> _Held:
        return _Held(self, timeout, queue)

    def remove(self) -> None:
        """Remove the semaphore (only ever called by its key's owner, holding it)."""
        self.held_now = False
        try:
            self._sem.remove()
        except sysv_ipc.ExistentialError:
            pass


class _Held:
    def __init__(self, lock: KeyLock, timeout: float, queue: bool) -> None:
        self._lock, self._timeout, self._queue = lock, timeout, queue

    def __enter__(self) -> KeyLock:
        self._lock.acquire(self._timeout, queue=self._queue)
        return self._lock

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._lock.release()


def lock_exists(sysv: int) -> bool:
    """Whether a semaphore is at sysv now (opened with flags 0, never created)."""
    try:
        sysv_ipc.Semaphore(sysv, 0)
    except sysv_ipc.ExistentialError:
        return False
    except sysv_ipc.PermissionsError:
        return True
    return True
