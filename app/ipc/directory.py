"""The imgshare shares this user has, as /proc/sysvipc/shm lists their control segments
(docs/protocol.md §13.3). Foreign segments are left out; nothing here changes anything."""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import errors
from .info import ShareInfo
from .layout import control as ctl
from .layout.keys import sysv_key
from .layout.semset import slot_count_of
from .lookup import first_bytes
from .reader import KeyReader
from .sysv import libc, semset
from .sysv.objects import MODE
from .sysv.procfs import shm_rows
from .sysv.segment import Segment

LISTING_TIMEOUT = 0.5  # a listing waits this long for a share that keeps changing, then shows it as busy


@dataclass(frozen=True)
class ListedShare:
    """One control segment of this user that carries imgshare's magic (or is blank beside a key's set)."""

    shmid: int
    sysv_key: int
    size: int  # bytes: the control segment and the data segments its slots name
    attached: int  # processes attached to the control segment besides the lister
    info: ShareInfo | None  # None when nothing is published, or the share is damaged
    problem: str = ""  # why info is None
    abandoned: bool = False  # nothing published (or blank), not served, not persisted
    key: str = ""  # the key its control block names ("" when blank or damaged)
    served: bool = False  # its owner semaphore is held by a serving sender
    persisted: bool = False
    data_segments: tuple[int, ...] = ()  # ids of the data segments its slot table names
    sound: bool = False  # the control block passed its checks (§9.1), or is blank beside a free set

    @property
    def stale(self) -> bool:
        """A sound control block, not served, not persisted, nobody attached: its sender is gone for
        good and nobody will read it, whatever its image is (§13.3): safe to clean."""
        return self.sound and not (self.attached or self.served or self.persisted)

    @property
    def state(self) -> str:
        if self.info is None:
            return "stale" if self.stale else ("damaged" if self.problem and not self.abandoned else "empty")
        if self.stale:
            return "stale"
        return self.info.state


def _my_segments() -> list[dict[str, int]]:
    uid = os.geteuid()
    return [row for row in shm_rows() if row.get("uid") == uid and row.get("cuid") == uid
            and row.get("key", 0) != 0 and row.get("perms", 0) & 0o777 == MODE]


def inspect(shmid: int, sysv: int) -> ListedShare | None:
    """What one segment at a System V key is, or None when it is not imgshare's."""
    try:
        seg = Segment.attach(shmid, read_only=True)
    except Exception:
        return None
    try:
        attached = max(0, seg.stat().nattch - 1)
        start = first_bytes(seg)
        if seg.size == ctl.CONTROL_SIZE and ctl.is_blank(start):
            return _blank(shmid, sysv, attached)
        if not ctl.has_magic(start):
            return None
        try:
            control = ctl.unpack_control(seg.read(0, ctl.CONTROL_SIZE), seg.size, None)
        except errors.ImgShareError as exc:
            return ListedShare(shmid, sysv, seg.size, attached, None, str(exc))
    except OSError:
        return None
    finally:
        seg.detach()
    if sysv_key(control.key) != sysv:
        return ListedShare(shmid, sysv, ctl.CONTROL_SIZE, attached, None,
                           "the key in its control block does not match its System V key")
    return _listed(shmid, sysv, attached, control)


def _served(sysv: int, control: ctl.Control) -> bool:
    try:
        semid = semset.find(sysv)
        return semid is not None and control.serving and libc.sem_value(semid, 0) > 0
    except OSError:
        return False


def _listed(shmid: int, sysv: int, attached: int, control: ctl.Control) -> ListedShare:
    data = tuple(entry.shmid for entry in control.slots if not entry.empty)
    size = ctl.CONTROL_SIZE + sum(_size_of(ident) for ident in data)
    served = _served(sysv, control)
    reader = KeyReader(control.key)
    empty = False
    try:
        got = reader.read(LISTING_TIMEOUT, False, None, borrow=False)
        info, problem = (got[0] if got else None), ""
    except errors.NotSharedError as exc:
        info, problem, empty = None, str(exc), True
    except errors.ImgShareError as exc:
        info, problem = None, str(exc)
    finally:
        reader.forget()
    abandoned = empty and not served and not control.persisted
    return ListedShare(shmid, sysv, size, attached, info, problem, abandoned, control.key, served,
                       control.persisted, data, sound=True)


def _blank(shmid: int, sysv: int, attached: int) -> ListedShare:
    """A blank control segment: its sender died while setting the key up. Stale when the set beside it
    is imgshare's and free."""
    try:
        semid = semset.find(sysv)
        ours = semid is not None and slot_count_of(libc.sem_stat(semid).nsems) is not None
        free = ours and semid is not None and libc.sem_value(semid, 0) == 0
    except OSError:
        ours = free = False
    return ListedShare(shmid, sysv, ctl.CONTROL_SIZE, attached, None,
                       "blank: its sender died while setting the key up", abandoned=bool(ours and free),
                       sound=bool(ours and free))


def list_shares() -> list[ListedShare]:
    """Every imgshare share of this user, newest first."""
    found = [share for share in (inspect(row["shmid"], row["key"]) for row in _my_segments()) if share]
    return sorted(found, key=lambda s: -(s.info.timestamp if s.info else 0))


def _size_of(shmid: int) -> int:
    try:
        return libc.shm_stat(shmid).size
    except OSError:
        return 0
