"""Whether a window follows a key now: imgshare.show() asks before starting a window of its own.

A window that follows a key holds a shared lock (flock) on a marker file for that key, in a folder
of this user's (XDG_RUNTIME_DIR/imgshare, else TMPDIR/imgshare-UID, mode 0700). The kernel drops
the lock when the window's process ends, however it ends, so a crashed window never counts. A window
in another IPC namespace (a different System V world, where the key names another share) has a
marker of its own: the namespace is part of the name. The last holder to let go removes the file,
and the folder once it is empty. No Tk here: the Receiver tab's follow thread holds the mark.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile

_FLAGS = os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _folder(make: bool = True) -> str | None:
    """This user's private folder for the marks, made if missing (and make); None if there is none or
    it cannot be trusted (a link, another user's, open to others): then no window counts as following."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = os.path.join(runtime, "imgshare") if runtime and os.path.isabs(runtime) else \
        os.path.join(tempfile.gettempdir(), f"imgshare-{os.getuid()}")
    try:
        if make:
            os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(base)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return base


def _name(key: str) -> str:
    try:
        namespace = os.readlink("/proc/self/ns/ipc").strip("ipc:[]")
    except OSError:
        namespace = "0"
    return f"follows-{namespace}-{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


class FollowMark:
    """Held while a window follows key: `mark = FollowMark.take(key)` ... `mark.release()`."""

    def __init__(self, folder: str, path: str, fd: int):
        self._folder, self._path, self._fd = folder, path, fd

    @classmethod
    def take(cls, key: str) -> FollowMark | None:
        """Mark key as followed by this process (None if the folder cannot be used: nothing marked)."""
        for _ in range(100):  # another process removing the file or folder at this moment: try again
            folder = _folder()
            if folder is None:
                return None
            path = os.path.join(folder, _name(key))
            try:
                fd = os.open(path, _FLAGS | os.O_CREAT, 0o600)
            except FileNotFoundError:
                continue  # the folder went just now
            except OSError:
                return None
            fcntl.flock(fd, fcntl.LOCK_SH)
            if _still_named(fd, path):
                return cls(folder, path, fd)
            os.close(fd)  # its last holder removed it before we locked it: take the new one
        return None

    def release(self) -> None:
        """Let go; the last holder removes the file (and the folder once empty)."""
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            _remove_if_unheld(fd, self._path, self._folder)
        finally:
            os.close(fd)


def window_follows(key: str) -> bool:
    """Whether a window of this user, in this IPC namespace, follows key now."""
    folder = _folder(make=False)
    if folder is None:
        return False
    path = os.path.join(folder, _name(key))
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return False
    try:
        return not _remove_if_unheld(fd, path, folder)
    finally:
        os.close(fd)


def _still_named(fd: int, path: str) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
    except OSError:
        return False


def _remove_if_unheld(fd: int, path: str, folder: str) -> bool:
    """With nobody else holding path (an exclusive lock is granted at once), remove it and, if empty,
    the folder; returns whether it was unheld. Whoever takes the file meanwhile notices (_still_named)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    if _still_named(fd, path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    with contextlib.suppress(OSError):  # not empty (another key's mark), or gone already
        os.rmdir(folder)
    return True
