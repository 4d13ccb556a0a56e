"""The auxiliary semaphores of a key (borrow count, new-image signal): opened or created at value 0.

Both start at 0, which is already their initial state, so creating them with IPC_CREX has no
initialisation race (unlike the lock, lock.py). Existing ones are opened with flags 0, never
IPC_CREAT, which would reset them.
"""

from __future__ import annotations

import sysv_ipc


def open_or_create(sysv: int) -> sysv_ipc.Semaphore | None:
    """For senders: the semaphore at sysv, created 0600 at 0 if missing; None if not ours to use."""
    try:
        return sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=0)
    except sysv_ipc.ExistentialError:
        return open_existing(sysv)
    except sysv_ipc.PermissionsError:
        return None


def open_existing(sysv: int) -> sysv_ipc.Semaphore | None:
    """For receivers: the semaphore at sysv, or None if there is none (or it is not ours)."""
    try:
        return sysv_ipc.Semaphore(sysv, 0)
    except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
        return None


def remove(semaphore: sysv_ipc.Semaphore) -> None:
    try:
        semaphore.remove()
    except sysv_ipc.ExistentialError:
        pass
