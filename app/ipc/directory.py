"""The imgshare shares this user can see, as /proc/sysvipc/shm lists them; and removing them safely.

Nothing here removes a segment that does not carry our magic and a valid header, and `clean` removes
only stale ones: sender dead, not persisted, nobody attached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import control as ctl
from . import header as hdr
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import (
    AccessDeniedError,
    CorruptSegmentError,
    ForeignSegmentError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
)
from .info import ShareInfo
from .keys import sysv_key
from .liveness import is_alive
from .lock import KeyLock
from .pins import PinSet
from .procfs import shm_rows
from .segment import Segment, remove_by_id
from .wake import WakeSignal

_LIST_LOCK_TIMEOUT = 0.5


@dataclass(frozen=True)
class ListedShare:
    """One segment seen in /proc/sysvipc/shm that carries imgshare's magic."""

    shmid: int
    sysv_key: int
    size: int
    attached: int  # processes attached besides the lister
    info: ShareInfo | None  # None when the header is damaged or nothing is published yet
    problem: str = ""  # why info is None
    abandoned: bool = False  # nothing published, and its sender died (not persisted)
    key: str = ""  # the key its control block names ("" when damaged)

    @property
    def stale(self) -> bool:
        """Ours, sender dead, not persisted, nobody attached: safe to clean."""
        if self.attached:
            return False
        if self.info is None:
            return self.abandoned
        return not self.info.sender_alive and not self.info.persisted

    @property
    def state(self) -> str:
        if self.info is None:
            return "stale" if self.stale else "damaged"
        if self.stale:
            return "stale"
        return self.info.state


def _proc_segments() -> list[dict[str, int]]:
    """Rows of /proc/sysvipc/shm owned by this user."""
    uid = os.getuid()
    return [r for r in shm_rows() if r.get("uid") == uid and r.get("key", 0) != 0]


_LIST_RETRIES = 3  # reads of a changing share before calling it damaged (protocol.md, section 5.1)


def read_share(segment: Segment, sysv: int, key: str | None) -> tuple[ctl.Control, ShareInfo | None]:
    """The control block and the published image's info of one of our segments, read without the lock:
    published, its descriptor, published again, retried while a sender publishes meanwhile. Raises
    what unpack_control raises; info is None when nothing is published yet."""
    for attempt in range(_LIST_RETRIES):
        control = ctl.unpack_control(segment.read(0, ctl.CONTROL_SIZE), segment.size, key)
        if control.published is None:
            return control, None
        slot = control.published
        raw = segment.read(ctl.descriptor_offset(slot), hdr.DESCRIPTOR_SIZE)
        again = ctl.unpack_control(segment.read(0, ctl.CONTROL_SIZE), segment.size, key)
        try:
            h = hdr.unpack_header(raw, control.slots[slot][1])
        except CorruptSegmentError:
            if again.published != slot and attempt + 1 < _LIST_RETRIES:
                continue  # the slot was being rewritten after another was published: look again
            raise
        return again, ShareInfo.from_parts(again, h, sysv, segment.id, segment.size)
    raise CorruptSegmentError("the share keeps changing while it is read")


def _inspect(row: dict[str, int]) -> ListedShare | None:
    try:
        segment = Segment.attach_id(row["shmid"])
    except (NotSharedError, AccessDeniedError):
        return None
    try:
        if not ctl.has_magic(segment.read(0, len(ctl.MAGIC))):
            return None
        attached = max(0, segment.number_attached() - 1)
        try:
            control, info = read_share(segment, row["key"], None)
        except CorruptSegmentError as exc:
            return ListedShare(row["shmid"], row["key"], segment.size, attached, None, str(exc))
        if sysv_key(control.key) != row["key"]:
            return ListedShare(row["shmid"], row["key"], segment.size, attached, None,
                               "the key in its header does not match its System V key")
        if info is None:
            abandoned = not control.persisted and not is_alive(control.owner_pid, control.owner_start)
            return ListedShare(row["shmid"], row["key"], segment.size, attached, None,
                               f"nothing published yet under key {control.key!r}", abandoned, control.key)
        return ListedShare(row["shmid"], row["key"], segment.size, attached, info, key=control.key)
    finally:
        segment.detach()


def list_shares() -> list[ListedShare]:
    """Every imgshare segment of this user, newest first. Foreign segments are left out."""
    found = [share for share in map(_inspect, _proc_segments()) if share is not None]
    return sorted(found, key=lambda s: -(s.info.timestamp if s.info else 0))


def clean(dry_run: bool = False) -> list[ListedShare]:
    """Remove stale shares and their locks; returns those removed (or that would be, with dry_run)."""
    removed = []
    for share in list_shares():
        if not share.stale:
            continue
        if dry_run or (share.key and _remove_if_still_stale(share)):
            removed.append(share)
    return removed


def remove_stale(shares: list[ListedShare]) -> list[ListedShare]:
    """Remove these shares (listed stale, as a user was shown them) that are stale still, each re-checked
    under its key's lock; returns those removed. A share whose sender came back is left alone."""
    return [share for share in shares if share.stale and share.key and _remove_if_still_stale(share)]


def _remove_if_still_stale(share: ListedShare) -> bool:
    """Re-check under the key's lock that the share is stale, then remove segment and semaphores."""
    try:
        lock: KeyLock | None = KeyLock.open(share.sysv_key, share.key, _LIST_LOCK_TIMEOUT)
    except NotSharedError:
        lock = None  # the lock is already gone: the segment alone remains
    except (LockTimeoutError, AccessDeniedError):
        return False
    try:
        if lock is not None:
            lock.acquire(_LIST_LOCK_TIMEOUT)
    except (LockTimeoutError, NotSharedError, AccessDeniedError):
        return False
    try:
        again = _inspect({"shmid": share.shmid, "key": share.sysv_key})
        if again is None or not again.stale:
            return False
        remove_by_id(share.shmid)
        _remove_aux_semaphores(share.key)
        if lock is not None:
            lock.remove()
        return True
    finally:
        if lock is not None:
            lock.release()


def remove_share(key: str, *, force: bool = False, timeout: float = DEFAULT_LOCK_TIMEOUT) -> ShareInfo | None:
    """Remove the imgshare share under key and its semaphores; refuses a foreign segment, and a live
    sender's share unless force. Returns the removed share's info (None if it was damaged, of another
    format, or had nothing published)."""
    sysv = sysv_key(key)
    try:
        lock: KeyLock | None = KeyLock.open(sysv, key, timeout)
    except NotSharedError:
        lock = None
    if lock is not None:
        lock.acquire(timeout)
    try:
        segment = Segment.open(sysv, key)
        try:
            if not ctl.has_magic(segment.read(0, len(ctl.MAGIC))):
                raise ForeignSegmentError(
                    f"the key {key!r} holds another program's shared memory; imgshare will not remove it"
                )
            try:
                control, info = read_share(segment, sysv, key)
            except ForeignSegmentError:
                raise  # another key's share (a System V key collision): not ours to remove
            except CorruptSegmentError:
                control, info = None, None
            if (control is not None and not force and control.owner_pid != os.getpid()
                    and is_alive(control.owner_pid, control.owner_start)):
                raise KeyInUseError(
                    f"the key {key!r} is in use by pid {control.owner_pid}; stop that sender, or use --force",
                    pid=control.owner_pid,
                )
            segment.remove()
        finally:
            segment.detach()
        _remove_aux_semaphores(key)
        if lock is not None:
            lock.remove()
        return info
    finally:
        if lock is not None:
            lock.release()


def _remove_aux_semaphores(key: str) -> None:
    """Remove a key's pin set and new-image signal."""
    pins = PinSet.open(key)
    if pins is not None:
        pins.remove()
    wake = WakeSignal.open(key)
    if wake is not None:
        wake.remove()
