"""What imgshare asks of the kernel directly (through ctypes), and the kernel's shared-memory limits."""

from __future__ import annotations

import ctypes
import errno
import os

import sysv_ipc

from .errors import TooLargeError
from .procfs import shm_rows

_MADV_POPULATE_READ = 22
_IPC_CREAT, _IPC_EXCL = 0o1000, 0o2000
_libc: ctypes.CDLL | None = None


def _c_library() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    return _libc


def shmget_new(sysv: int, size: int) -> int | None:
    """shmget(IPC_CREAT | IPC_EXCL | 0600) through ctypes (no GIL held); None if unavailable."""
    try:
        libc = _c_library()
    except (OSError, AttributeError):
        return None
    shmid = libc.shmget(sysv, size, _IPC_CREAT | _IPC_EXCL | 0o600)
    if shmid >= 0:
        return shmid
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        raise FileExistsError(sysv)
    if code == errno.EACCES:
        raise PermissionError(code, os.strerror(code))
    raise OSError(code, os.strerror(code))


def shmget_existing(sysv: int) -> int | None:
    """The id of the segment at sysv without attaching it (shmget with flags 0); None if there is none.

    Raises PermissionError for another user's segment, LookupError where ctypes is unavailable.
    """
    try:
        libc = _c_library()
    except (OSError, AttributeError):
        raise LookupError("no C library") from None
    shmid = libc.shmget(sysv, 0, 0)
    if shmid >= 0:
        return shmid
    code = ctypes.get_errno()
    if code == errno.EACCES:
        raise PermissionError(code, os.strerror(code))
    return None


def populate(address: int, size: int) -> None:
    """Map all pages at once (MADV_POPULATE_READ, Linux 5.14+) instead of one fault per page."""
    try:
        _c_library().madvise(address, size, _MADV_POPULATE_READ)  # older kernels: EINVAL, fine
    except (OSError, AttributeError):
        pass


def kernel_limits() -> dict[str, int] | None:
    """kernel.shmmax (bytes) and kernel.shmall (pages), or None where they cannot be read."""
    limits = {}
    for name in ("shmmax", "shmall"):
        try:
            with open(f"/proc/sys/kernel/{name}") as f:
                limits[name] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
    return limits


def check_fits(size: int) -> None:
    """Raise TooLargeError if the kernel's limits would refuse a segment of size bytes.

    Checked before an old segment is given up, so a too-large image never costs the current share.
    """
    limits = kernel_limits()
    if limits is None:
        return  # not Linux, or unreadable: let shmget decide
    if size > limits["shmmax"]:
        raise TooLargeError(
            f"the image needs a {size / 1e6:.1f} MB segment but this machine allows at most "
            f"{limits['shmmax'] / 1e6:.1f} MB (kernel.shmmax)"
        )
    page = sysv_ipc.PAGE_SIZE
    used_pages = sum((row.get("size", 0) + page - 1) // page for row in shm_rows())
    if used_pages + (size + page - 1) // page > limits["shmall"]:
        raise TooLargeError(
            f"the image needs a {size / 1e6:.1f} MB segment but the machine's shared memory is "
            "nearly full (kernel.shmall); stop other shares or raise the limit"
        )
