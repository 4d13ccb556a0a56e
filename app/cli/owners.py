"""Whose share a key is: the user who owns its shared memory, by name, for sentences about other
users' shares (read from /proc/sysvipc and Qt's key files, without attaching anything)."""

from __future__ import annotations

import os
import pwd

from ..ipc import ChannelKind, InvalidKeyError, sysv_key
from ..ipc.sysv.procfs import shm_rows


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def owner_uid(key: str, kind: ChannelKind = ChannelKind.IMGSHARE) -> int | None:
    """The uid owning the share under key, or None if there is none (or it cannot be told)."""
    try:
        if kind is ChannelKind.QT:
            from ..ipc.qt import QtKey
            return os.stat(QtKey.find(key).shm_file).st_uid
        sysv = sysv_key(key)
    except (OSError, InvalidKeyError):
        return None
    return next((row["uid"] for row in shm_rows() if row.get("key") == sysv and "uid" in row), None)


def someone_elses(key: str, kind: ChannelKind = ChannelKind.IMGSHARE) -> str | None:
    """The owner's name when the share under key belongs to another user, else None."""
    uid = owner_uid(key, kind)
    return user_name(uid) if uid is not None and uid != os.getuid() else None
