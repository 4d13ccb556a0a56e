"""A private System V IPC namespace for the test running now: the verbs that act on every share of a user
(`imgshare clean`, the window's Clean up) then see only the test's own objects, never a stale share of
another program on this machine. Needs root (CAP_SYS_ADMIN), as the suite has."""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

CLONE_NEWIPC = 0x08000000


@contextlib.contextmanager
def private_ipc_namespace() -> Iterator[None]:
    """Move this thread into a fresh IPC namespace until the block ends, then back. Processes and threads
    started inside inherit it; its objects vanish with it once the last of them ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.unshare(CLONE_NEWIPC) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"unshare(CLONE_NEWIPC) failed: {os.strerror(errno)} (the tests need root)")
        try:
            yield
        finally:
            if libc.setns(original, CLONE_NEWIPC) != 0:
                errno = ctypes.get_errno()
                raise OSError(errno, f"setns back to the machine's IPC namespace failed: {os.strerror(errno)}")
    finally:
        os.close(original)
