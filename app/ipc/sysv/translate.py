"""The one place that turns the kernel's errors (OSError from libc.py, sysv_ipc's exceptions) into
imgshare's typed errors, each with one sentence that names the key and what was being done, never the
kernel's own errno text."""

from __future__ import annotations

import errno

import sysv_ipc

from .. import errors
from .limits import read_limit
from .procfs import owner_at


def _plain(code: int | None) -> str:
    return {
        errno.EACCES: "permission denied", errno.EPERM: "operation not permitted", errno.ENOMEM: "out of memory",
        errno.ENOSPC: "no space left in the kernel's table", errno.EINVAL: "refused by the kernel",
        errno.EIDRM: "removed meanwhile", errno.ENOENT: "not there", errno.EEXIST: "already there",
    }.get(code or 0, f"system error {errno.errorcode.get(code or 0, code)}")


def is_gone(error: BaseException) -> bool:
    """Whether an error says the object no longer exists (removed meanwhile)."""
    if isinstance(error, OSError):
        return error.errno in (errno.EINVAL, errno.EIDRM, errno.ENOENT)
    return isinstance(error, (sysv_ipc.ExistentialError, ValueError))


def is_denied(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return error.errno in (errno.EACCES, errno.EPERM)
    return isinstance(error, sysv_ipc.PermissionsError)


def at_key(error: BaseException, key: str, sysv: int, what: str) -> errors.ImgShareError:
    """An error met on an object found at the key's System V key (a lookup, IPC_STAT, an attach)."""
    if is_denied(error):
        return errors.other_user(key, owner_at(sysv))
    if is_gone(error):
        return errors.nothing_shared(key)
    return errors.ImgShareError(f"the {what} of key {key!r} cannot be used ({_reason(error)})")


def in_share(error: BaseException, key: str, what: str) -> errors.ImgShareError:
    """An error met on an object the control block names (a data segment): the share is damaged."""
    if is_gone(error):
        return errors.damaged(key, f"its {what} is gone")
    if is_denied(error):
        return errors.damaged(key, f"its {what} belongs to another user")
    return errors.ImgShareError(f"the {what} of key {key!r} cannot be used ({_reason(error)})")


def creating_segment(error: OSError, key: str, size: int) -> errors.ImgShareError:
    """shmget(IPC_CREAT) refused (docs/protocol.md §12.4 step 2)."""
    megabytes = f"{size / 1e6:.1f} MB"
    if error.errno == errno.ENOSPC:
        return errors.SystemLimitError(
            f"the machine has no free shared-memory segment for key {key!r} (kernel.shmmni is "
            f"{read_limit('shmmni')}); stop other shares or raise the limit")
    if error.errno == errno.EINVAL:
        return errors.TooLargeError(
            f"the image needs a {megabytes} segment but this machine allows at most "
            f"{read_limit('shmmax') / 1e6:.1f} MB (kernel.shmmax)")
    if error.errno == errno.ENOMEM:
        return errors.TooLargeError(
            f"the image needs a {megabytes} segment but the machine's shared memory is full (kernel.shmall); "
            "stop other shares or raise the limit")
    if is_denied(error):
        return errors.AccessDeniedError(f"permission denied creating a shared-memory segment for key {key!r}")
    return errors.ImgShareError(f"a {megabytes} segment for key {key!r} cannot be made ({_plain(error.errno)})")


def creating_set(error: OSError, key: str, count: int) -> errors.ImgShareError:
    """semget(IPC_CREAT) refused (docs/protocol.md §12.1 step 3)."""
    if error.errno == errno.ENOSPC:
        return errors.SystemLimitError(
            f"the machine has no free semaphore set for key {key!r} (kernel.sem SEMMNI is "
            f"{read_limit('semmni')}, or SEMMNS); stop other programs' semaphores or raise the limit")
    if error.errno == errno.EINVAL:
        return errors.SystemLimitError(
            f"the kernel allows {read_limit('semmsl')} semaphores a set (kernel.sem SEMMSL); the key "
            f"{key!r} needs {count}")
    if is_denied(error):
        return errors.AccessDeniedError(f"permission denied creating the semaphores of key {key!r}")
    return errors.ImgShareError(f"the semaphores of key {key!r} cannot be made ({_plain(error.errno)})")


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno:
        return _plain(error.errno)
    return type(error).__name__
