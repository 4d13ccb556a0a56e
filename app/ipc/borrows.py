"""The borrow count: how many receivers hold zero-copy views of a key's current segment.

A second semaphore, at borrow_sysv_key(key), counts live borrows. A receiver raises it (with SEM_UNDO,
so a killed borrower's count is taken back by the kernel) while holding the key's lock, and lowers it
when its borrowed image is freed. A sender holding the lock writes in place only when the count is 0;
otherwise it moves to a new segment, so borrowed pixels never change under their reader.
"""

from __future__ import annotations

import sysv_ipc

from . import auxsem
from .keys import borrow_sysv_key


class BorrowCount:
    """The borrow semaphore of one key (created by the key's sender, value 0 = nobody borrows)."""

    def __init__(self, semaphore: sysv_ipc.Semaphore):
        self._sem = semaphore
        self._sem.undo = True
        self._sem.block = False

    @classmethod
    def open_or_create(cls, key: str) -> BorrowCount | None:
        """For senders (value 0 = nobody borrows)."""
        sem = auxsem.open_or_create(borrow_sysv_key(key))
        return cls(sem) if sem is not None else None

    @classmethod
    def open(cls, key: str) -> BorrowCount | None:
        """For receivers; None if the key has no borrow semaphore (then nobody may borrow)."""
        sem = auxsem.open_existing(borrow_sysv_key(key))
        return cls(sem) if sem is not None else None

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
        auxsem.remove(self._sem)
