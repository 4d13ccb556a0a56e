"""Qt's legacy native keys: the key files QSharedMemory / QSystemSemaphore make and their ftok keys.

Read from Qt's own source (qt/qtbase) and checked against PySide6 6.12 (tests/qt/test_qt_keys.py):
- src/corelib/ipc/qtipccommon.cpp, legacyPlatformSafeKey(): "qipc_sharedmemory_" (or "qipc_systemsem_")
  + the key's characters in a-z/A-Z + the lowercase hex SHA-1 of the key's UTF-8, prefixed with
  QStandardPaths::writableLocation(TempLocation) + "/" for System V (the legacy default type on Linux,
  qtipccommon.h legacyDefaultTypeForOs(); SystemV = 0x51 'Q' is also ftok's project id).
- src/corelib/io/qfilesystemengine_unix.cpp, tempPath(): $TMPDIR if non-empty, else /tmp, then
  `QDir(QDir::cleanPath(temp)).canonicalPath()` in Qt 5.15 to 6.4: absolute, symlinks resolved, and
  empty when the folder does not exist, so the key file lands at the root ("/qipc_..."). Checked
  against PyQt5 5.15.14. (PySide6 6.12's Qt only cleans the path; a symlinked path names the same
  file, so both give the same ftok key.)
- src/corelib/ipc/qtipccommon_p.h, createUnixKeyFile(): open(O_EXCL | O_CREAT | O_RDWR, 0640), EEXIST is fine.
- src/corelib/ipc/qsharedmemory_systemv.cpp: ftok(file, 'Q'); create() = shmget(0600 | IPC_CREAT |
  IPC_EXCL); the last process to detach (shm_nattch 0 after shmdt) removes the segment and unlinks the file.
- src/corelib/ipc/qsystemsemaphore_systemv.cpp: semget(1, 0600 | IPC_CREAT | IPC_EXCL), else open it;
  a creator sets the value with SETVAL and, at cleanup, unlinks the file and removes the semaphore;
  semop always with SEM_UNDO; on EIDRM/EINVAL it re-creates the semaphore and retries.
- src/corelib/ipc/qsharedmemory.cpp: create(), attach() and detach() each run under the semaphore;
  create() opens the semaphore in Create mode (which resets it to 1), attach() in Open mode.
- src/gui/image/qimage.cpp, operator<< / operator>> (see stream.py).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import AccessDeniedError, ImgShareError
from ..layout.keys import validate_key

QT_PROJECT_ID = 0x51  # QNativeIpcKey::Type::SystemV, 'Q': ftok's proj_id
SHM_PREFIX = "qipc_sharedmemory_"
SEM_PREFIX = "qipc_systemsem_"
KEY_FILE_MODE = 0o640
_DIGEST_HEX = 40  # a SHA-1 in hex ends every key file's name
LISTED_FORM = re.compile(r"([A-Za-z]*)#([0-9a-f]{8,40})")  # letters#hex: how a listing names an unknown key


def temp_dir() -> str:
    """Qt 5.15-6.4's QDir::tempPath() on Linux: the real path of $TMPDIR (or /tmp), symlinks followed;
    "" when that folder does not exist (Qt's canonicalPath() of a missing path), as Qt returns."""
    path = os.path.abspath(os.environ.get("TMPDIR", "") or "/tmp")
    if not os.path.exists(path):
        return ""
    return os.path.realpath(path)


def key_suffix(key: str) -> str:
    """The part Qt appends to both prefixes: the key's ASCII letters, then the hex SHA-1 of its UTF-8."""
    letters = "".join(ch for ch in key if "a" <= ch <= "z" or "A" <= ch <= "Z")
    return letters + hashlib.sha1(validate_key(key)).hexdigest()


@dataclass(frozen=True)
class QtKey:
    """Where Qt keeps one legacy key's segment and semaphore: two key files in the temp folder."""

    key: str
    shm_file: str
    sem_file: str

    @classmethod
    def of(cls, key: str, directory: str | None = None) -> QtKey:
        """The key files in directory (default: Qt's temp folder), joined as Qt joins them:
        folder + "/" + name, so an empty folder (a missing TMPDIR) puts them at the root."""
        folder = directory if directory is not None else temp_dir()
        return cls.of_suffix(key, key_suffix(key), folder)

    @classmethod
    def of_suffix(cls, key: str, suffix: str, folder: str) -> QtKey:
        return cls(key, f"{folder}/{SHM_PREFIX}{suffix}", f"{folder}/{SEM_PREFIX}{suffix}")

    @classmethod
    def find(cls, key: str, directory: str | None = None) -> QtKey:
        """The key files a reader of key uses: the key's own; or, for a key written as a listing shows
        a Qt key whose string is unknown (letters#first hex digits of its SHA-1, docs/qt.md) and whose
        own files do not exist, the one key file in the folder that it names."""
        own = cls.of(key, directory)
        listed = LISTED_FORM.fullmatch(key)
        if listed is None or os.path.exists(own.shm_file):
            return own
        folder = directory if directory is not None else temp_dir()
        letters, digits = listed.groups()
        start = SHM_PREFIX + letters + digits
        try:
            names = [name for name in os.listdir(folder or "/") if name.startswith(start)
                     and len(name) == len(SHM_PREFIX) + len(letters) + _DIGEST_HEX]
        except OSError:
            return own
        if len(names) != 1:
            return own  # none, or two a longer prefix would tell apart: the key names nothing
        return cls.of_suffix(key, names[0][len(SHM_PREFIX):], folder)


def listed_name(suffix: str) -> str:
    """How a listing names the Qt key whose key files end in suffix when its string is unknown:
    letters#first 8 hex digits of the SHA-1 (QtKey.find reads it back)."""
    return f"{suffix[:-_DIGEST_HEX]}#{suffix[-_DIGEST_HEX:][:8]}"


@functools.cache
def _libc_ftok() -> Callable[[bytes, int], int]:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ftok.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.ftok.restype = ctypes.c_int
    function: Callable[[bytes, int], int] = libc.ftok
    return function


def ftok(path: str) -> int | None:
    """The System V key of a key file (libc ftok with Qt's project id), or None if the file is missing."""
    value = _libc_ftok()(os.fsencode(path), QT_PROJECT_ID)
    if value == -1:
        code = ctypes.get_errno()
        if code in (errno.ENOENT, errno.ENOTDIR):
            return None
        if code == errno.EACCES:
            raise AccessDeniedError(f"permission denied reading Qt's key file {path}")
        raise OSError(code, os.strerror(code), path)
    return value


def create_key_file(path: str) -> bool:
    """Create a key file as Qt does (O_EXCL, mode 0640 less the umask); False if it already existed."""
    try:
        fd = os.open(path, os.O_EXCL | os.O_CREAT | os.O_RDWR, KEY_FILE_MODE)
    except FileExistsError:
        return False
    except PermissionError:
        raise AccessDeniedError(f"permission denied creating Qt's key file {path}") from None
    except OSError as exc:
        raise ImgShareError(f"cannot create Qt's key file {path}: {exc.strerror}") from None
    os.close(fd)
    return True


def remove_key_file(path: str) -> None:
    """Unlink a key file; one already gone is fine."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
