"""The pin set: semaphore i counts the readers using slot i of a key's current segment.

A reader raises a slot's pin while holding the key's lock, only for the published slot, with SEM_UNDO
(a killed reader's pins are taken back by the kernel), and lowers it when done with the pixels. Since a
slot gains pins only while published, the sender may read the other slots' pins without the lock: a
slot that is neither published nor pinned stays unused until the sender publishes it (docs/protocol.md,
section 4).
"""

from __future__ import annotations

import errno

from . import semtimedop as sem
from .errors import AccessDeniedError, ForeignSegmentError, ImgShareError
from .keys import borrow_sysv_key

PIN_COUNT = 8  # semaphores in a pin set, whatever the slot count


class PinSet:
    """The pin set of one key, by id (a reader unpins the set it pinned, even if it was replaced)."""

    def __init__(self, semid: int):
        self.id = semid

    @classmethod
    def create(cls, key: str) -> PinSet:
        """For senders: a new set at value 0 (FileExistsError if one is there)."""
        try:
            return cls(sem.semget(borrow_sysv_key(key), PIN_COUNT, sem.IPC_CREAT | sem.IPC_EXCL | 0o600))
        except OSError as exc:
            raise _error(exc, key) from None

    @classmethod
    def open(cls, key: str, sysv: int | None = None) -> PinSet | None:
        """The key's set (at sysv if given: borrow_sysv_key(key) computed once by the caller), or None
        if there is none; ForeignSegmentError if the set there has fewer than 8 semaphores."""
        try:
            return cls(sem.semget(borrow_sysv_key(key) if sysv is None else sysv, PIN_COUNT, 0))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            if exc.errno == errno.EINVAL:  # a set of fewer semaphores: another program's, left alone
                raise ForeignSegmentError(
                    f"the key {key!r} has another program's semaphores beside it; choose another key"
                ) from None
            raise _error(exc, key) from None

    @classmethod
    def open_or_create(cls, key: str) -> PinSet:
        for _ in range(100):  # another process may create or remove it between our two calls
            existing = cls.open(key)
            if existing is not None:
                return existing
            try:
                return cls.create(key)
            except FileExistsError:
                continue
        raise ImgShareError(f"the pin semaphores of key {key!r} keep being created and removed")

    def pin(self, slot: int) -> bool:
        """One more reader of slot (call holding the key's lock); False if the set is gone."""
        result = sem.call(self.id, [(slot, 1, sem.SEM_UNDO | sem.IPC_NOWAIT)], None)
        if result in (errno.EACCES, errno.EPERM):
            raise AccessDeniedError("permission denied for the pin semaphores of this key")
        return result == 0

    def unpin(self, slot: int) -> None:
        """One reader fewer; nothing if the set was removed or replaced meanwhile."""
        sem.call(self.id, [(slot, -1, sem.SEM_UNDO | sem.IPC_NOWAIT)], None)

    def count(self, slot: int) -> int:
        """Readers of slot now; a set that is gone counts as pinned (never write a slot unsure)."""
        try:
            return sem.value(self.id, slot)
        except OSError:
            return 1

    def remove(self) -> None:
        sem.remove(self.id)


def _error(exc: OSError, key: str) -> Exception:
    if exc.errno == errno.EEXIST:
        return FileExistsError(exc.errno, exc.strerror)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return AccessDeniedError(f"permission denied for the pin semaphores of key {key!r}")
    return ImgShareError(f"the pin semaphores of key {key!r} cannot be used ({exc.strerror})")
