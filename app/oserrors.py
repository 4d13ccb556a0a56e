"""An OSError in plain words, for the one sentence a user reads: never Python's "[Errno 2] ..." text,
never a path other than the one the user typed (the sentence around it names that)."""

from __future__ import annotations

import errno

_PLAIN = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file would be too large",
    errno.EIO: "an input/output error (a failing disk or a lost network share?)",
    errno.ELOOP: "too many symbolic links",
    errno.EMFILE: "too many files are open",
    errno.ETXTBSY: "the file is busy",
}


def plain_reason(exc: OSError) -> str:
    """Why an operation on a file failed, as a clause: 'permission denied', 'no space left on the
    device'; for errors without a plain phrase, the system's own words without the errno number."""
    if exc.errno in _PLAIN:
        return _PLAIN[exc.errno]
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else type(exc).__name__
