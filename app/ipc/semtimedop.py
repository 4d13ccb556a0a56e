"""A blocking semaphore acquire with a timeout, through the C library's semtimedop().

The registry's sysv_ipc wheel is built without semtimedop, so its acquire() either blocks forever or
does not wait at all. Polling a non-blocking acquire works but is unfair: a sender sharing in a loop
re-takes the lock before a polling reader ever sees it free. A kernel wait is FIFO: the releaser hands
the lock to the first waiter. So call semtimedop ourselves (ctypes releases the GIL while it waits),
and let lock.py fall back to polling where it is missing.
"""

from __future__ import annotations

import ctypes
import errno
import os

SEM_UNDO = 0x1000


class _SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _load():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.semtimedop
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.POINTER(_SemBuf), ctypes.c_size_t,
                         ctypes.POINTER(_TimeSpec)]
    function.restype = ctypes.c_int
    return function


_semtimedop = _load() if os.name == "posix" else None
AVAILABLE = _semtimedop is not None


def _call(semid: int, ops: list[tuple[int, int]], seconds: float) -> int:
    """Run semaphore-0 operations [(delta, flags)] atomically, waiting at most seconds; 0 or errno."""
    array = (_SemBuf * len(ops))(*[_SemBuf(0, delta, flags) for delta, flags in ops])
    seconds = max(0.0, seconds)
    limit = _TimeSpec(int(seconds), int((seconds - int(seconds)) * 1e9))
    if _semtimedop(semid, array, len(ops), ctypes.byref(limit)) == 0:
        return 0
    return ctypes.get_errno() or errno.EAGAIN


def wait_at_least(semid: int, value: int, seconds: float) -> int:
    """Wait until semaphore 0 of semid is at least value, leaving it unchanged; 0 or errno.

    The pair (-value, +value) runs atomically: it blocks while the semaphore is below value and,
    once it may run, changes nothing, so every waiter wakes and none consumes the others' wake-up.
    """
    return _call(semid, [(-value, 0), (value, 0)], seconds)


def acquire(semid: int, seconds: float) -> int:
    """Decrement semaphore 0 of semid by one with SEM_UNDO, waiting at most seconds.

    Returns 0 on success, else the errno: EAGAIN (timed out), EINTR (a signal arrived: the caller
    retries with the time left), EIDRM/EINVAL (removed), EACCES (not allowed).
    """
    op = _SemBuf(0, -1, SEM_UNDO)
    seconds = max(0.0, seconds)
    limit = _TimeSpec(int(seconds), int((seconds - int(seconds)) * 1e9))
    if _semtimedop(semid, ctypes.byref(op), 1, ctypes.byref(limit)) == 0:
        return 0
    return ctypes.get_errno() or errno.EAGAIN
