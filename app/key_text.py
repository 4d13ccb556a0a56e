"""A key as people read it (no Tk): the System V key it maps to, or why it is not usable; in Qt mode the
one Qt's key file gives. The window's key fields show it beside the key."""

from __future__ import annotations

import os

from .ipc import ChannelKind, ImgShareError, sysv_key


def describe_key(text: str, kind: ChannelKind = ChannelKind.IMGSHARE) -> str:
    """'System V key 123 (0x0000007b)' for a usable key, else the reason it is not usable. In Qt mode,
    the System V key of Qt's key file for it (ftok), or that there is no such file yet."""
    try:
        if kind is ChannelKind.QT:
            return _describe_qt_key(text)
        value = sysv_key(text)
    except ImgShareError as exc:
        return f"invalid key: {exc}"
    return f"System V key {value} ({value:#010x})"


def _describe_qt_key(text: str) -> str:
    from .ipc.qt import QtKey, ftok  # Qt mode's own modules, loaded when a key is described in it
    paths = QtKey.find(text)
    name = os.path.basename(paths.shm_file)
    try:
        value = ftok(paths.shm_file)
    except OSError:
        value = None
    if value is None:
        return f"Qt: no System V key until a program shares under this key (Qt's key file {name})"
    return f"Qt's System V key {value} ({value:#010x}), from the file {name}"
