"""Qt's segments through imgshare's segment module: made at an ftok key, attached by id or by key,
with errors turned into imgshare's (Qt mode has no control block: docs/qt.md)."""

from __future__ import annotations

import errno

from ..errors import AccessDeniedError, NotSharedError
from ..sysv import segment as shm
from ..sysv import translate
from ..sysv.segment import Segment


def create(sysv: int, size: int, key: str) -> Segment:
    """A new 0600 segment at sysv; FileExistsError when the key is taken."""
    try:
        shmid = shm.create(sysv, size)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise FileExistsError(sysv) from None
        raise translate.creating_segment(exc, key, size) from None
    return Segment.attach(shmid, read_only=False)


def attach_id(shmid: int) -> Segment:
    """Attach read-only by id; NotSharedError if it is gone, AccessDeniedError if not ours."""
    try:
        return Segment.attach(shmid, read_only=True)
    except Exception as exc:
        if translate.is_denied(exc):
            raise AccessDeniedError(f"permission denied for segment {shmid}") from None
        raise NotSharedError(f"segment {shmid} no longer exists") from None


def open_at(sysv: int, key: str, read_only: bool) -> Segment:
    """The segment at sysv attached; NotSharedError if there is none, AccessDeniedError if not ours."""
    try:
        shmid = shm.lookup(sysv)
        if shmid is None:
            raise NotSharedError(f"nothing is shared under the Qt key {key!r}")
        return Segment.attach(shmid, read_only=read_only)
    except NotSharedError:
        raise
    except Exception as exc:
        if translate.is_denied(exc):
            raise AccessDeniedError(
                f"permission denied for the segment of key {key!r} (it belongs to another user)") from None
        raise NotSharedError(f"nothing is shared under the Qt key {key!r}") from None


def number_attached(segment: Segment) -> int:
    """Processes attached now (including this one); 0 if the segment was removed meanwhile."""
    try:
        return segment.stat().nattch
    except OSError:
        return 0
