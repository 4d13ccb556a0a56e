"""The Qt shares this user can see: key files in the temp folder whose ftok key names a segment.

A Qt segment carries nothing that names it, so the only way to find one is from its key file
(qipc_sharedmemory_<letters><sha1 hex>); the key string itself is known only if it is one of the
candidates given (the SHA-1 is checked), else the listing shows letters#first-8-hex.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import sysv_ipc

from ..defaults import LISTING_LOCK_TIMEOUT
from ..directory import ListedShare
from ..errors import ImgShareError, LockTimeoutError
from ..layout.keys import DEFAULT_KEY
from ..sysv.procfs import shm_rows
from . import segments
from .info import build_info
from .keys import SEM_PREFIX, SHM_PREFIX, ftok, key_suffix, listed_name, temp_dir
from .lock import KeyLock
from .stream import key_of, peek, source_name_of


@dataclass(frozen=True)
class QtListedShare(ListedShare):
    """A ListedShare found through a Qt key file (stale: creator dead and nobody attached)."""

    key_file: str = ""

    @property
    def stale(self) -> bool:
        """Qt's rule, not imgshare's control block: nobody attached, and its creator dead (and not left
        on purpose); without a readable image, only when abandoned."""
        if self.attached:
            return False
        if self.info is None:
            return self.abandoned
        return not self.info.sender_alive and not self.info.persisted


def key_label(suffix: str, candidates: tuple[str, ...]) -> str:
    """The key string whose Qt suffix this is, among candidates; else letters#first 8 hex of its SHA-1,
    which `--key` also accepts (QtKey.find)."""
    for key in candidates:
        if key and suffix == key_suffix(key):
            return key
    return listed_name(suffix)


def list_qt_shares(known_keys: tuple[str, ...] = (DEFAULT_KEY,), directory: str | None = None
                   ) -> list[QtListedShare]:
    """Every Qt share of this user reachable through a key file in Qt's temp folder, newest first."""
    folder = (directory if directory is not None else temp_dir()) or "/"  # "": Qt's files go at the root
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith(SHM_PREFIX))
    except OSError:
        return []
    uid = os.getuid()
    by_key = {row["key"]: row for row in shm_rows() if row.get("uid") == uid}
    found: list[QtListedShare] = []
    for name in names:
        path = os.path.join(folder, name)
        try:
            sysv = ftok(path)
        except (ImgShareError, OSError):
            continue
        row = by_key.get(sysv) if sysv is not None else None
        if sysv is not None and row is not None:
            suffix = name[len(SHM_PREFIX):]
            found.append(_inspect(suffix, known_keys, sysv, row, path, os.path.join(folder, SEM_PREFIX + suffix)))
    return sorted(found, key=lambda s: -(s.info.timestamp if s.info else 0))


def _inspect(suffix: str, known_keys: tuple[str, ...], sysv: int, row: dict[str, int], path: str,
             sem_path: str) -> QtListedShare:
    attached = row.get("nattch", 0)
    lock, busy = _try_lock(sem_path)
    if busy:  # attaching now could outlive a Qt peer's last detach and keep its segment alive
        return QtListedShare(row["shmid"], sysv, row.get("size", 0), attached, None,
                             "Qt's lock is busy", key_file=path)
    try:
        segment = segments.attach_id(row["shmid"])
        try:
            data = segment.read(0, segment.size)
        finally:
            segment.detach()  # inspection only: unlike a reader, listing never removes a share
        image, encoding = peek(data)
    except ImgShareError as exc:
        return QtListedShare(row["shmid"], sysv, row.get("size", 0), attached, None, str(exc), key_file=path)
    finally:
        if lock is not None:
            lock.release()
    if image is None:
        return QtListedShare(row["shmid"], sysv, row.get("size", 0), attached, None, "a null image",
                             key_file=path)
    label = key_label(suffix, (*known_keys, key_of(image)))  # imgshare's Qt sender names its key
    info = build_info(label, sysv, image, encoding, source_name_of(image), data, row, path)
    return QtListedShare(row["shmid"], sysv, row.get("size", 0), attached, info, key_file=path)


def _try_lock(sem_path: str) -> tuple[KeyLock | None, bool]:
    """(Qt's lock, held, or None if there is none; whether it stayed busy). Never creates one."""
    try:
        sysv = ftok(sem_path)
        if sysv is None:
            return None, False
        lock = KeyLock(sysv_ipc.Semaphore(sysv, 0), os.path.basename(sem_path))
    except (sysv_ipc.Error, ImgShareError, OSError):
        return None, False
    try:
        lock.acquire(LISTING_LOCK_TIMEOUT)
    except (LockTimeoutError, ImgShareError):
        return None, True
    return lock, False
