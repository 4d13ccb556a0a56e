"""The kernel's limits on System V objects (of this IPC namespace), and the check that a segment fits
before anything is given up for it."""

from __future__ import annotations

import os

from ..errors import TooLargeError
from .procfs import shm_rows

_SEM_FIELDS = ("semmsl", "semmns", "semopm", "semmni")


def read_limit(name: str) -> int:
    """kernel.shmmax, shmall (pages), shmmni, or one of kernel.sem's four (semmsl, semmns, semopm,
    semmni); -1 where it cannot be read."""
    try:
        if name in _SEM_FIELDS:
            with open("/proc/sys/kernel/sem") as f:
                return int(f.read().split()[_SEM_FIELDS.index(name)])
        with open(f"/proc/sys/kernel/{name}") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return -1


def check_fits(size: int) -> None:
    """TooLargeError if kernel.shmmax or kernel.shmall would refuse a segment of size bytes."""
    shmmax, shmall = read_limit("shmmax"), read_limit("shmall")
    if shmmax >= 0 and size > shmmax:
        raise TooLargeError(
            f"the image needs a {size / 1e6:.1f} MB segment but this machine allows at most "
            f"{shmmax / 1e6:.1f} MB (kernel.shmmax)")
    if shmall < 0:
        return
    page = os.sysconf("SC_PAGE_SIZE")
    used = sum((row.get("size", 0) + page - 1) // page for row in shm_rows())
    if used + (size + page - 1) // page > shmall:
        raise TooLargeError(
            f"the image needs a {size / 1e6:.1f} MB segment but the machine's shared memory is nearly full "
            "(kernel.shmall); stop other shares or raise the limit")
