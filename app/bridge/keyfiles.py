"""CURVE key pairs in files, as `imgshare bridge keys DIR NAME` makes them and the other verbs read them.

NAME.key holds the public key (give it to the other side); NAME.key_secret holds both keys and is
readable by its owner only. The text is ZeroMQ's certificate format (as czmq's zcert and pyzmq's
zmq.auth write it), so keys made by those tools work here and the other way round.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

from ..ipc import ImgShareError

PUBLIC_SUFFIX = ".key"
SECRET_SUFFIX = ".key_secret"
_LINE = re.compile(r'^\s*(public|secret)-key\s*=\s*"([^"]*)"\s*$', re.MULTILINE)
_Z85 = re.compile(r"[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}")


class KeyFileError(ImgShareError):
    """A key file is missing, unreadable or holds no usable key."""


def _why(exc: OSError) -> str:
    """The reason an OSError gives, in the plain words imaging.py uses for image files."""
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileExistsError):
        return "it already exists"
    return "the file system refused"


def _text(public: bytes, secret: bytes | None) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    kind = "Secret" if secret else "Public"
    lines = [f"#   ****  Generated on {when} by imgshare bridge keys  ****",
             f"#   ZeroMQ CURVE {kind} Certificate",
             "#   " + ("DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions." if secret
                      else "Give this file to the other side of the bridge."),
             "", "metadata", "curve", f'    public-key = "{public.decode()}"']
    if secret:
        lines.append(f'    secret-key = "{secret.decode()}"')
    return "\n".join(lines) + "\n"


def make_key_pair(folder: str, name: str) -> tuple[Path, Path]:
    """Write NAME.key and NAME.key_secret into folder (made if missing); never overwrites."""
    import zmq
    if not name or "/" in name or name.startswith("."):
        raise KeyFileError(f"{name!r} is not a usable name for a key pair; use letters, digits, - or _")
    base = Path(folder)
    public_path, secret_path = base / (name + PUBLIC_SUFFIX), base / (name + SECRET_SUFFIX)
    for path in (public_path, secret_path):
        if path.exists():
            raise KeyFileError(f"{path} already exists; choose another name or folder (imgshare never "
                               "overwrites a key)")
    try:
        base.mkdir(parents=True, exist_ok=True)
        public, secret = zmq.curve_keypair()
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(_text(public, secret))
        with open(public_path, "x", encoding="ascii") as f:
            f.write(_text(public, None))
    except OSError as exc:
        raise KeyFileError(f"cannot write the key pair into {folder}: {_why(exc)}") from None
    return public_path, secret_path


def _read_keys(path: str | Path) -> dict[str, bytes]:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read(65536)
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {str(path)!r}: {_why(exc)}") from None
    keys = {}
    for kind, value in _LINE.findall(text):
        if not _Z85.fullmatch(value):
            raise KeyFileError(f"the key file {str(path)!r} holds a {kind} key that is not a CURVE key")
        keys[kind] = value.encode("ascii")
    return keys


def load_secret(path: str) -> tuple[bytes, bytes]:
    """(public, secret) from a .key_secret file."""
    keys = _read_keys(path)
    if "secret" not in keys or "public" not in keys:
        raise KeyFileError(f"the key file {path!r} holds no secret key; give the {SECRET_SUFFIX} file that "
                           "'imgshare bridge keys' made")
    return keys["public"], keys["secret"]


def load_public(path: str) -> bytes:
    """The public key in a .key (or .key_secret) file."""
    keys = _read_keys(path)
    if "public" not in keys:
        raise KeyFileError(f"the key file {path!r} holds no public key")
    return keys["public"]


def load_allowed(folder: str) -> dict[bytes, str]:
    """The public keys in folder's *.key files, each with its file's name (for the log)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise KeyFileError(f"cannot read the folder of allowed keys {folder!r}: {_why(exc)}") from None
    allowed = {load_public(os.path.join(folder, n)): n[: -len(PUBLIC_SUFFIX)]
               for n in names if n.endswith(PUBLIC_SUFFIX)}
    if not allowed:
        raise KeyFileError(f"the folder {folder!r} holds no public keys (*{PUBLIC_SUFFIX} files); copy the "
                           "clients' public keys into it")
    return allowed
