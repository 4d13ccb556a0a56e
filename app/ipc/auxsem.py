"""The new-image semaphore's System V calls: created at value 0, opened with flags 0.

It starts at 0, which is already its initial state, so creating it with IPC_CREX has no
initialisation race (unlike the lock, lock.py). An existing one is opened with flags 0, never
IPC_CREAT, which would make sysv_ipc reset it.
"""

from __future__ import annotations

import sysv_ipc


def create(sysv: int) -> sysv_ipc.Semaphore | None:
    """A new 0600 semaphore at sysv with value 0; None if one exists (or it may not be made)."""
    try:
        return sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=0)
    except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
        return None


def open_existing(sysv: int) -> sysv_ipc.Semaphore | None:
    """The semaphore at sysv, or None if there is none (or it is not ours)."""
    try:
        return sysv_ipc.Semaphore(sysv, 0)
    except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
        return None


def remove(semaphore: sysv_ipc.Semaphore) -> None:
    try:
        semaphore.remove()
    except sysv_ipc.ExistentialError:
        pass
