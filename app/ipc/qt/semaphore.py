"""Qt's lock: the QSystemSemaphore of a QSharedMemory, opened and created the way Qt does, never reset.

Value 1 is free. Every operation uses SEM_UNDO (lock.KeyLock does), so a killed holder frees it. An
existing semaphore is opened with flags 0: unlike Qt's own create(), which SETVALs it back to 1, we never
reset one, since a Qt process may be holding it. A missing one is made as Qt makes it: its key file
(O_EXCL, 0640), semget(0600 | IPC_CREAT | IPC_EXCL), SETVAL 1; whoever made it removes it and its file
(qsystemsemaphore_systemv.cpp cleanHandle()). A sender that takes a dead sender's key over adopts that
duty for the semaphore it found (adopt_if_unused), so it leaves nothing behind either.
"""

from __future__ import annotations

import os
import time

import sysv_ipc

from ..errors import AccessDeniedError, LockTimeoutError, NotSharedError
from .keys import create_key_file, ftok, remove_key_file
from .liveness import is_alive
from .lock import KeyLock


class QtSemaphore:
    """One key's Qt semaphore, with what this process created and must therefore remove."""

    def __init__(self, path: str, key_name: str):
        self.path = path
        self.key_name = key_name
        self.lock: KeyLock | None = None
        self.created = False  # we made (or adopted) the semaphore: we remove it and its file
        self.created_file = False  # we made the key file (Qt's Open mode removes only that)
        self.found_last_pid = 0  # for one we opened: the last process that used it before us

    def ensure(self, create: bool = True) -> KeyLock:
        """Open the semaphore, creating it (and its key file) as Qt does if it is missing and create is set."""
        if self.lock is not None:
            return self.lock
        for _ in range(100):  # creation and removal by other processes can interleave
            if create and create_key_file(self.path):
                self.created_file = True
            sysv = ftok(self.path)
            if sysv is None:
                if not create:
                    raise NotSharedError(f"no Qt lock exists for the key {self.key_name!r}")
                continue  # the file was removed between our calls: make it again
            try:
                sem = sysv_ipc.Semaphore(sysv, 0)
            except sysv_ipc.ExistentialError:
                if not create:
                    raise NotSharedError(f"no Qt lock exists for the key {self.key_name!r}") from None
                try:
                    sem = sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=1)
                except sysv_ipc.ExistentialError:
                    continue  # another process made it first: open theirs
                except sysv_ipc.PermissionsError:
                    raise AccessDeniedError(f"permission denied creating Qt's lock of key {self.key_name!r}") from None
                self.created = self.created_file = True  # Qt: "force cleanup of file" when it made the semaphore
            except sysv_ipc.PermissionsError:
                raise AccessDeniedError(
                    f"permission denied for Qt's lock of key {self.key_name!r} (it belongs to another user)"
                ) from None
            else:
                self.found_last_pid = sem.last_pid
            self.lock = KeyLock(sem, self.key_name)
            return self.lock
        raise LockTimeoutError(f"Qt's lock of key {self.key_name!r} keeps being created and removed")

    def acquire(self, timeout: float) -> KeyLock:
        """Open (or create) the semaphore and take the lock within timeout seconds. If its creator
        removes it while we wait, open it anew and go on waiting, as Qt does (EIDRM: re-create, retry)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            lock = self.ensure(create=True)
            try:
                lock.acquire(max(0.0, deadline - time.monotonic()))
                return lock
            except NotSharedError:
                self.forget()
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(f"Qt's lock of key {self.key_name!r} kept disappearing") from None

    def adopt_if_unused(self, dead_sender: int) -> None:
        """Take over the removal of a semaphore whose creator, the sender dead_sender, died: unless a
        live process other than us used it last (a Qt program still working with it)."""
        if self.lock is None or self.created:
            return
        last = self.found_last_pid
        if last in (0, os.getpid(), dead_sender) or not is_alive(last):
            self.created = self.created_file = True

    def forget(self) -> None:
        """Drop a semaphore that was removed under us (its creator quit); the next ensure() opens anew."""
        self.lock = None
        self.created = False

    def cleanup(self) -> None:
        """What Qt's cleanHandle() does: unlink the file if we made it, remove the semaphore if we made it."""
        if self.created_file:
            remove_key_file(self.path)
            self.created_file = False
        if self.created and self.lock is not None:
            self.lock.remove()
        self.created = False
        self.lock = None
