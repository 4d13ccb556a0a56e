"""The object check (docs/protocol.md §4.2): before using any object it found, a peer makes sure it is
its own user's (owner and creator: the kernel lets root open anything, and a creator can give an object
away while keeping its access) and has the one mode imgshare makes (0600)."""

from __future__ import annotations

import os

from .. import errors
from .libc import IPC_PRIVATE, Perm
from .procfs import user_name

MODE = 0o600


def is_mine(perm: Perm) -> bool:
    euid = os.geteuid()
    return perm.uid == euid and perm.cuid == euid


def check_at_key(perm: Perm, key: str, what: str = "shared memory") -> None:
    """For an object found at the key's System V key: other user (exit 6) or not imgshare's (exit 4)."""
    if not is_mine(perm):
        stranger = perm.uid if perm.uid != os.geteuid() else perm.cuid
        raise errors.other_user(key, user_name(stranger))
    if perm.mode & 0o777 != MODE:
        raise errors.foreign(key, f"{what} (mode {perm.mode & 0o777:04o})")


def data_problem(perm: Perm, owner: int | None = None) -> str | None:
    """Why an object a control block names cannot be one of its data segments (§4.2), or None. owner:
    the uid the share belongs to (the caller's unless root removes another user's share, §13.4)."""
    if owner is not None:
        if perm.uid != owner or perm.cuid != owner:
            return f"a data segment belongs to {user_name(perm.uid)}"
    elif not is_mine(perm):
        return f"a data segment belongs to {user_name(perm.uid if perm.uid != os.geteuid() else perm.cuid)}"
    if perm.mode & 0o777 != MODE:
        return f"a data segment has mode {perm.mode & 0o777:04o}"
    if perm.key != IPC_PRIVATE:
        return f"a data segment has the System V key {perm.key:#x}"
    return None
