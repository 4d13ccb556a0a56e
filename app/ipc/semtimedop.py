"""System V semaphore calls through the C library (ctypes), where sysv_ipc falls short.

The registry's sysv_ipc wheel is built without semtimedop, so its acquire() either blocks forever or
does not wait at all, and it handles only sets of one semaphore. A kernel wait is FIFO (the releaser
hands the lock to the first waiter) and ctypes releases the GIL while it waits; the pin set (pins.py)
is a set of eight. lock.py falls back to polling where the C library lacks semtimedop.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable, Sequence
from typing import Any

SEM_UNDO = 0x1000
IPC_NOWAIT = 0o4000
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
_IPC_RMID, _GETVAL = 0, 12


class SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _load(name: str, argtypes: list[Any]) -> Callable[..., int] | None:
    if os.name != "posix":
        return None
    try:
        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = argtypes
    function.restype = ctypes.c_int
    return function


_semtimedop = _load("semtimedop", [ctypes.c_int, ctypes.POINTER(SemBuf), ctypes.c_size_t,
                                   ctypes.POINTER(_TimeSpec)])
_semget = _load("semget", [ctypes.c_int, ctypes.c_int, ctypes.c_int])
_semctl = _load("semctl", [ctypes.c_int, ctypes.c_int, ctypes.c_int])  # variadic: a 4th argument may follow
AVAILABLE = _semtimedop is not None


def _errno() -> int:
    return ctypes.get_errno() or errno.EIO


def call(semid: int, ops: Sequence[tuple[int, int, int]], seconds: float | None) -> int:
    """Run [(sem_num, delta, flags)] atomically, waiting at most seconds (None: IPC_NOWAIT semantics are
    up to flags, no time limit); returns 0 or the errno."""
    assert _semtimedop is not None
    array = (SemBuf * len(ops))(*[SemBuf(num, delta, flags) for num, delta, flags in ops])
    limit = None
    if seconds is not None:
        seconds = max(0.0, seconds)
        limit = ctypes.byref(_TimeSpec(int(seconds), int((seconds - int(seconds)) * 1e9)))
    if _semtimedop(semid, array, len(ops), limit) == 0:
        return 0
    return ctypes.get_errno() or errno.EAGAIN


def wait_at_least(semid: int, value: int, seconds: float) -> int:
    """Wait until semaphore 0 of semid is at least value, leaving it unchanged; 0 or errno.

    The pair (-value, +value) runs atomically: it blocks while the semaphore is below value and,
    once it may run, changes nothing, so every waiter wakes and none consumes the others' wake-up.
    """
    return call(semid, [(0, -value, 0), (0, value, 0)], seconds)


def acquire(semid: int, seconds: float) -> int:
    """Decrement semaphore 0 of semid by one with SEM_UNDO, waiting at most seconds.

    Returns 0 on success, else the errno: EAGAIN (timed out), EINTR (a signal arrived: the caller
    retries with the time left), EIDRM/EINVAL (removed), EACCES (not allowed).
    """
    return call(semid, [(0, -1, SEM_UNDO)], seconds)


def semget(sysv: int, count: int, flags: int) -> int:
    """semget(); the id, or OSError with the errno (FileExistsError, FileNotFoundError, PermissionError)."""
    assert _semget is not None
    semid = _semget(sysv, count, flags)
    if semid < 0:
        code = _errno()
        raise OSError(code, os.strerror(code))
    return semid


def value(semid: int, number: int) -> int:
    """The value of one semaphore of a set (semctl GETVAL); OSError if it is gone.

    One call per semaphore rather than GETALL: GETALL writes as many values as the set holds, and a set
    made by someone else could hold more than the array passed.
    """
    assert _semctl is not None
    result = _semctl(semid, number, _GETVAL)
    if result < 0:
        code = _errno()
        raise OSError(code, os.strerror(code))
    return int(result)


def remove(semid: int) -> None:
    """Remove a set by id (semctl IPC_RMID); nothing if it is already gone."""
    assert _semctl is not None
    _semctl(semid, 0, _IPC_RMID)
