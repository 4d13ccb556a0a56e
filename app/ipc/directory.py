"""The imgshare shares this user can see, as /proc/sysvipc/shm lists them; and removing them safely.

Nothing here removes a segment that does not carry our magic and a valid header, and `clean` removes
only stale ones: sender dead, not persisted, nobody attached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import header as hdr
from .borrows import BorrowCount
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
from .lock import KeyLock
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
    info: ShareInfo | None  # None when the header is damaged
    problem: str = ""  # why info is None

    @property
    def stale(self) -> bool:
        """Ours, sender dead, not persisted, nobody attached: safe to clean."""
        return (self.info is not None and not self.info.sender_alive and not self.info.persisted
                and self.attached == 0)

    @property
    def state(self) -> str:
        if self.info is None:
            return "damaged"
        if self.stale:
            return "stale"
        return self.info.state


def _proc_segments() -> list[dict]:
    """Rows of /proc/sysvipc/shm owned by this user."""
    uid = os.getuid()
    return [r for r in shm_rows() if r.get("uid") == uid and r.get("key", 0) != 0]


def _inspect(row: dict) -> ListedShare | None:
    try:
        segment = Segment.attach_id(row["shmid"])
    except (NotSharedError, AccessDeniedError):
        return None
    try:
        raw = segment.read(0, hdr.HEADER_SIZE)
        if not hdr.has_magic(raw):
            return None
        attached = max(0, segment.number_attached() - 1)
        try:
            h = hdr.unpack_header(raw, segment.size)
        except CorruptSegmentError as exc:
            return ListedShare(row["shmid"], row["key"], segment.size, attached, None, str(exc))
        if sysv_key(h.key) != row["key"]:
            return ListedShare(row["shmid"], row["key"], segment.size, attached, None,
                               "the key in its header does not match its System V key")
        info = ShareInfo.from_header(h, row["key"], row["shmid"], segment.size)
        return ListedShare(row["shmid"], row["key"], segment.size, attached, info)
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
        if dry_run or _remove_if_still_stale(share):
            removed.append(share)
    return removed


def _remove_if_still_stale(share: ListedShare) -> bool:
    """Re-check under the key's lock that the share is stale, then remove segment and lock."""
    try:
        lock = KeyLock.open(share.sysv_key, share.info.key, _LIST_LOCK_TIMEOUT)
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
        _remove_aux_semaphores(share.info.key)
        if lock is not None:
            lock.remove()
        return True
    finally:
        if lock is not None:
            lock.release()


def remove_share(key: str, *, force: bool = False, timeout: float = 5.0) -> ShareInfo | None:
    """Remove the imgshare share under key and its lock; refuses a foreign segment, and a live
    sender's share unless force. Returns the removed share's info (None if its header was damaged)."""
    sysv = sysv_key(key)
    try:
        lock = KeyLock.open(sysv, key, timeout)
    except NotSharedError:
        lock = None
    if lock is not None:
        lock.acquire(timeout)
    try:
        try:
            segment = Segment.open(sysv, key)
        except NotSharedError:
            if lock is None:
                raise
            raise NotSharedError(f"nothing is shared under the key {key!r}") from None
        try:
            raw = segment.read(0, hdr.HEADER_SIZE)
            if not hdr.has_magic(raw):
                raise ForeignSegmentError(
                    f"the key {key!r} holds another program's shared memory; imgshare will not remove it"
                )
            try:
                h = hdr.unpack_header(raw, segment.size)
                info = ShareInfo.from_header(h, sysv, segment.id, segment.size)
            except CorruptSegmentError:
                info = None
            if info is not None and info.sender_alive and info.sender_pid != os.getpid() and not force:
                raise KeyInUseError(
                    f"the key {key!r} is in use by pid {info.sender_pid}; stop that sender, or use --force",
                    pid=info.sender_pid,
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
    """Remove a key's auxiliary semaphores (borrow count and new-image signal)."""
    borrows = BorrowCount.open(key)
    if borrows is not None:
        borrows.remove()
    wake = WakeSignal.open(key)
    if wake is not None:
        wake.remove()
