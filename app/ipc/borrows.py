"""The borrow count: how many receivers hold zero-copy views of a key's current segment.

A second semaphore, at borrow_sysv_key(key), counts live borrows. A receiver raises it (with SEM_UNDO,
so a killed borrower's count is taken back by the kernel) while holding the key's lock, and lowers it
when its borrowed image is freed. A sender holding the lock writes in place only when the count is 0;
otherwise it moves to a new segment, so borrowed pixels never change under their reader.
"""

from __future__ import annotations

import sysv_ipc

from .keys import borrow_sysv_key


class BorrowCount:
    """The borrow semaphore of one key (created by the key's sender, value 0 = nobody borrows)."""

    def __init__(self, semaphore: sysv_ipc.Semaphore):
        self._sem = semaphore
        self._sem.undo = True
        self._sem.block = False

    @classmethod
    def open_or_create(cls, key: str) -> "BorrowCount | None":
        """For senders. Created at 0, which is already its initial value: no initialisation race."""
        sysv = borrow_sysv_key(key)
        try:
            return cls(sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=0))
        except sysv_ipc.ExistentialError:
            return cls.open(key)
        except sysv_ipc.PermissionsError:
            return None

    @classmethod
    def open(cls, key: str) -> "BorrowCount | None":
        """For receivers; None if the key has no borrow semaphore (then nobody may borrow)."""
        try:
            return cls(sysv_ipc.Semaphore(borrow_sysv_key(key), 0))
        except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
            return None

    def count(self) -> int:
        try:
            return self._sem.value
        except sysv_ipc.ExistentialError:
            return 0

    def add(self) -> bool:
        try:
            self._sem.release()
            return True
        except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
            return False

    def take_back(self) -> None:
        try:
            self._sem.acquire()
        except (sysv_ipc.BusyError, sysv_ipc.ExistentialError):
            pass  # the sender removed it meanwhile: nothing to give back

    def remove(self) -> None:
        try:
            self._sem.remove()
        except sysv_ipc.ExistentialError:
            pass
