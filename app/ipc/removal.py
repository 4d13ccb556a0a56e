"""Removing shares: `remove` one key, `clean` the stale ones (docs/protocol.md §13.3, §13.4).

Whatever removes holds the owner semaphore (but `remove --force`, which removes a live sender's key),
clears SERVING first so a sender arriving meanwhile waits instead of calling the key in use, removes the
data segments, then the control segment, then the set last. Nothing that fails the object check, or is
not this format's, is ever removed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from . import errors
from .defaults import DEFAULT_LOCK_TIMEOUT
from .directory import ListedShare, list_shares
from .info import ShareInfo
from .layout import control as ctl
from .layout.keys import sysv_key
from .layout.semset import slot_count_of
from .legacy import remove_old_format
from .lookup import attach_control, read_control, set_slot_count
from .orphans import remove_all_named
from .reader import KeyReader
from .sysv import libc, objects, semset
from .sysv import segment as shm
from .sysv.segment import Segment
from .sysv.semset import KeySet, SetRemoved

_OWNER_LOOK = 0.02


def clean(dry_run: bool = False, keys: Iterable[str] | None = None) -> list[ListedShare]:
    """Remove the stale shares of this user (of keys only, when given); returns those removed (or that
    would be, with dry_run). Named keys also lose a free semaphore set of imgshare's size that sits at
    their System V key with no segment beside it (a sender killed right after making it): without a
    name, nothing would say such a set is imgshare's."""
    wanted = None if keys is None else {sysv_key(key): key for key in keys}
    removed = []
    for share in list_shares():
        if wanted is not None and share.sysv_key not in wanted:
            continue
        if share.stale and (dry_run or _remove_if_still_stale(share)):
            removed.append(share)
    for sysv, key in (wanted or {}).items():
        alone = _lone_set(sysv, key)
        if alone is not None and (dry_run or _remove_lone_set(alone)):
            removed.append(alone)
    return removed


def _lone_set(sysv: int, key: str) -> ListedShare | None:
    """A free set of imgshare's size at sysv with no segment there, as a ListedShare (shmid -1)."""
    try:
        if shm.lookup(sysv) is not None:
            return None
        semid = semset.find(sysv)
        if semid is None:
            return None
        stat = libc.sem_stat(semid)
    except OSError:
        return None
    if (not objects.is_mine(stat.perm) or stat.perm.mode & 0o777 != objects.MODE
            or slot_count_of(stat.nsems) is None or libc.sem_value(semid, 0)):
        return None
    return ListedShare(-1, sysv, 0, 0, None, "a semaphore set alone: its sender died while setting the key up",
                       abandoned=True, key=key)


def _remove_lone_set(share: ListedShare) -> bool:
    """Take its owner semaphore, check again that no segment appeared, remove it."""
    semid = semset.find(share.sysv_key)
    if semid is None:
        return False
    keyset = KeySet(semid, 0)
    try:
        if not keyset.take_owner(0):
            return False
        if shm.lookup(share.sysv_key) is not None:
            keyset.give_owner()
            return False
    except (OSError, SetRemoved):
        return False
    keyset.remove()
    return True


def _remove_if_still_stale(share: ListedShare) -> bool:
    """Take the owner semaphore (or skip the share), check again that it is stale, remove it."""
    try:
        semid = semset.find(share.sysv_key)
        stat = libc.sem_stat(semid) if semid is not None else None
    except OSError:
        return False
    if semid is None or stat is None or not objects.is_mine(stat.perm) or stat.perm.mode & 0o777 != objects.MODE:
        return False  # no set (a removal is going on), or not one imgshare made
    count = slot_count_of(stat.nsems)
    try:
        seg = Segment.attach(share.shmid, read_only=False)
    except Exception:
        return False
    try:
        if count is None or (ctl.has_magic(seg.read(0, 8)) and 2 + 2 * seg.load(12) != stat.nsems):
            return False
        keyset = KeySet(semid, count)
        last_owner = keyset.owner_pid()
        if not keyset.take_owner(0):
            return False
        # Holding the owner semaphore no sender can come or go: stale still means nobody else is
        # attached and the share was not persisted meanwhile.
        persisted = ctl.has_magic(seg.read(0, 8)) and bool(seg.load(ctl.FLAGS) & ctl.FLAG_PERSISTED)
        if seg.stat().nattch > 1 or persisted:
            keyset.give_owner()
            return False
        _remove_held(seg, keyset, last_owner)
        return True
    except (OSError, SetRemoved):
        return False
    finally:
        seg.detach()


def _remove_held(seg: Segment, keyset: KeySet, last_owner: int = 0) -> None:
    """Holding the owner semaphore: clear SERVING, remove the data segments, the control, the set."""
    if ctl.has_magic(seg.read(0, 8)):
        seg.store(ctl.FLAGS, seg.load(ctl.FLAGS) & ~ctl.FLAG_SERVING)
        remove_all_named(seg.read(0, ctl.CONTROL_SIZE), last_owner)
    seg.remove()
    keyset.remove()


def remove_share(key: str, *, force: bool = False, timeout: float = DEFAULT_LOCK_TIMEOUT) -> ShareInfo | None:
    """Remove the share under key: its data segments, control segment and semaphore set. Refuses another
    program's, another key's and another user's objects, and a live sender's share unless force. Returns
    the removed image's info (None when it was blank, damaged, empty or of an older format)."""
    sysv = sysv_key(key)
    try:
        seg = attach_control(key, sysv, read_only=False)
    except errors.AccessDeniedError:
        if os.geteuid() != 0:
            raise
        _remove_another_users(key, sysv, force)
        return None
    if seg is None:
        raise errors.nothing_shared(key)
    try:
        try:
            control = read_control(seg, key)
        except errors.UnsupportedFormatError as exc:
            if exc.version in (1, 2):
                remove_old_format(key, sysv, seg)
                return None
            raise
        except errors.BlankSegmentError:
            control = None
        except (errors.ForeignSegmentError, errors.AccessDeniedError):
            raise
        except errors.CorruptSegmentError:
            control = None
        keyset = _set_for(key, sysv, control)
        info = _info(key) if control is not None else None
        if keyset is None:
            seg.remove()
            return info
        last_owner = keyset.owner_pid()
        _take(key, keyset, seg, control, force, timeout)
        _remove_held(seg, keyset, last_owner)
        return info
    finally:
        seg.detach()


def _set_for(key: str, sysv: int, control: ctl.Control | None) -> KeySet | None:
    """The key's set when it is imgshare's (None: there is none; another program's set is refused)."""
    semid = semset.find(sysv)
    if semid is None:
        return None
    count = set_slot_count(key, sysv, semid)
    if control is not None and count != control.slot_count:
        raise errors.foreign(key, "semaphore set (of another size than its control block says)")
    return KeySet(semid, count)


def _take(key: str, keyset: KeySet, seg: Segment, control: ctl.Control | None, force: bool,
          timeout: float) -> None:
    """The owner semaphore for the removal; forced over a live sender, go on without it."""
    deadline = time.monotonic() + max(0.0, timeout)
    while not keyset.take_owner(min(_OWNER_LOOK, max(0.0, deadline - time.monotonic()))):
        serving = control is not None and bool(seg.load(ctl.FLAGS) & ctl.FLAG_SERVING)
        if force and (serving or time.monotonic() >= deadline):
            return
        if serving:
            pid = keyset.owner_pid() or (control.owner_pid if control else 0)
            raise errors.in_use(key, pid, "stop that sender, or use --force")
        if time.monotonic() >= deadline:
            raise errors.LockTimeoutError(f"the key {key!r} stayed busy for {timeout:g} s; try again")


def _remove_another_users(key: str, sysv: int, force: bool) -> None:
    """Root removing another user's share at a key it named (§13.4): its objects are checked to be one
    imgshare share of that user and this key, then removed, never read further, operated on or adopted."""
    shmid = shm.lookup(sysv)
    if shmid is None:
        raise errors.nothing_shared(key)
    owner = libc.shm_stat(shmid).perm.uid
    seg = Segment.attach(shmid, read_only=True)
    try:
        control = read_control(seg, key)
        semid = semset.find(sysv)
        stat = libc.sem_stat(semid) if semid is not None else None
        if stat is not None and (stat.perm.uid != owner or stat.perm.cuid != owner
                                 or stat.nsems != 2 + 2 * control.slot_count):
            raise errors.foreign(key, "semaphore set beside another user's share")
        if semid is not None and control.serving and libc.sem_value(semid, 0) > 0 and not force:
            raise errors.in_use(key, libc.sem_pid(semid, 0), "stop that sender, or use --force")
        remove_all_named(seg.read(0, ctl.CONTROL_SIZE), owner=owner)
        seg.remove()
        if semid is not None:
            KeySet(semid, control.slot_count).remove()
    finally:
        seg.detach()


def _info(key: str) -> ShareInfo | None:
    reader = KeyReader(key)
    try:
        got = reader.read(0.5, False, None, borrow=False)
        return got[0] if got else None
    except errors.ImgShareError:
        return None
    finally:
        reader.forget()
