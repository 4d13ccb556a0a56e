"""The C library's System V calls through ctypes, where sysv_ipc falls short: sets of several
semaphores, semtimedop, IPC_STAT without attaching, and shmget without sysv_ipc filling the segment
while it holds the GIL. Every function returns a value or raises OSError with the errno; translate.py
turns those into imgshare's errors.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
SEM_UNDO = 0x1000
IPC_PRIVATE = 0
SHM_DEST = 0o1000  # in shm_perm.mode once a segment is marked for removal
_IPC_RMID, _IPC_STAT = 0, 2
_GETPID, _GETVAL, _GETALL, _SETVAL = 11, 12, 13, 16
_MADV_POPULATE_READ = 22


class _Perm(ctypes.Structure):
    # glibc's struct ipc_perm on 64-bit Linux. x86-64 has a 16-bit mode and padding where the generic
    # layout (arm64...) has a 32-bit mode: little-endian, the low 16 bits are the mode in both.
    _fields_ = [("key", ctypes.c_int), ("uid", ctypes.c_uint), ("gid", ctypes.c_uint),
                ("cuid", ctypes.c_uint), ("cgid", ctypes.c_uint), ("mode", ctypes.c_ushort),
                ("pad1", ctypes.c_ushort), ("seq", ctypes.c_ushort), ("pad2", ctypes.c_ushort),
                ("reserved1", ctypes.c_ulong), ("reserved2", ctypes.c_ulong)]


class _ShmidDs(ctypes.Structure):
    _fields_ = [("perm", _Perm), ("segsz", ctypes.c_size_t), ("atime", ctypes.c_long),
                ("dtime", ctypes.c_long), ("ctime", ctypes.c_long), ("cpid", ctypes.c_int),
                ("lpid", ctypes.c_int), ("nattch", ctypes.c_ulong), ("reserved", ctypes.c_ulong * 2)]


class _SemidDs(ctypes.Structure):
    # x86-64 keeps a reserved word after each time; the generic 64-bit layout does not.
    _fields_ = [("perm", _Perm), ("words", ctypes.c_ulong * 8)]


_NSEMS_WORD = 4 if platform.machine() in ("x86_64", "AMD64") else 2


class SemBuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


@dataclass(frozen=True)
class Perm:
    """What IPC_STAT says about any object."""

    key: int
    uid: int
    cuid: int
    mode: int  # the permission bits and, for segments, SHM_DEST


@dataclass(frozen=True)
class ShmStat:
    perm: Perm
    size: int
    cpid: int
    nattch: int

    @property
    def removed(self) -> bool:
        return bool(self.perm.mode & SHM_DEST)


@dataclass(frozen=True)
class SemStat:
    perm: Perm
    nsems: int


@lru_cache(maxsize=1)
def _lib() -> Any:
    lib = ctypes.CDLL(None, use_errno=True)
    lib.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    lib.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    lib.semget.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.semctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    lib.semtimedop.argtypes = [ctypes.c_int, ctypes.POINTER(SemBuf), ctypes.c_size_t, ctypes.POINTER(_TimeSpec)]
    lib.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return lib


def _fail() -> OSError:
    code = ctypes.get_errno() or errno.EIO
    return OSError(code, os.strerror(code))


def _check(result: int) -> int:
    if result < 0:
        raise _fail()
    return result


def shmget(key: int, size: int, flags: int) -> int:
    """shmget(); the id."""
    return _check(_lib().shmget(key, size, flags))


def shm_stat(shmid: int) -> ShmStat:
    """shmctl(IPC_STAT) without attaching."""
    ds = _ShmidDs()
    _check(_lib().shmctl(shmid, _IPC_STAT, ctypes.byref(ds)))
    perm = Perm(ds.perm.key, ds.perm.uid, ds.perm.cuid, ds.perm.mode)
    return ShmStat(perm, ds.segsz, ds.cpid, ds.nattch)


def shm_remove(shmid: int) -> None:
    """shmctl(IPC_RMID)."""
    _check(_lib().shmctl(shmid, _IPC_RMID, None))


def semget(key: int, count: int, flags: int) -> int:
    return _check(_lib().semget(key, count, flags))


def sem_stat(semid: int) -> SemStat:
    ds = _SemidDs()
    _check(_lib().semctl(semid, 0, _IPC_STAT, ctypes.byref(ds)))
    return SemStat(Perm(ds.perm.key, ds.perm.uid, ds.perm.cuid, ds.perm.mode), int(ds.words[_NSEMS_WORD]))


def sem_value(semid: int, number: int) -> int:
    return _check(_lib().semctl(semid, number, _GETVAL, None))


def sem_all(semid: int) -> list[int]:
    """Every value of a set in one GETALL: a snapshot taken under the set's lock (values read one by one
    could straddle a semop that changes two of them)."""
    count = sem_stat(semid).nsems
    # GETALL writes as many values as the set holds; sized for the largest set the kernel allows, a set
    # that changed meanwhile cannot write past the buffer.
    room = max(count, _semmsl())
    values = (ctypes.c_ushort * room)()
    _check(_lib().semctl(semid, 0, _GETALL, ctypes.cast(values, ctypes.c_void_p)))
    return list(values[:count])


@lru_cache(maxsize=1)
def _semmsl() -> int:
    try:
        with open("/proc/sys/kernel/sem") as f:
            return max(1, int(f.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return 32000


def sem_pid(semid: int, number: int) -> int:
    """The pid of the last process that changed semaphore number (in this PID namespace; 0 if not visible)."""
    return _check(_lib().semctl(semid, number, _GETPID, None))


def sem_set_value(semid: int, number: int, value: int) -> None:
    # union semun's int member, passed the way the ABI passes the union: in an integer register
    _check(_lib().semctl(semid, number, _SETVAL, ctypes.c_void_p(value)))


def sem_remove(semid: int) -> None:
    _check(_lib().semctl(semid, 0, _IPC_RMID, None))


def semop(semid: int, ops: Sequence[tuple[int, int, int]], seconds: float | None = None) -> int:
    """Run [(number, delta, flags)] atomically, waiting at most seconds (None: no limit); 0 or the errno.

    Returns the errno rather than raising: EAGAIN, EINTR, ERANGE and EIDRM are answers here, not failures.
    ctypes releases the GIL while the kernel waits.
    """
    array = (SemBuf * len(ops))(*[SemBuf(number, delta, flags) for number, delta, flags in ops])
    limit = None
    if seconds is not None:
        seconds = max(0.0, seconds)
        limit = ctypes.byref(_TimeSpec(int(seconds), int((seconds - int(seconds)) * 1e9)))
    if _lib().semtimedop(semid, array, len(ops), limit) == 0:
        return 0
    return ctypes.get_errno() or errno.EIO


def populate(address: int, length: int) -> None:
    """Fault in [address, address + length) at once (MADV_POPULATE_READ, Linux 5.14+); older kernels
    refuse with EINVAL and the pages fault in as they are read."""
    page = os.sysconf("SC_PAGE_SIZE")
    start = address - address % page
    _lib().madvise(start, length + (address - start), _MADV_POPULATE_READ)
