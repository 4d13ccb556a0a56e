"""Where a pulled key's images come from, for `imgshare info` and the window: a small JSON file per
pulled key that its puller keeps current and removes when it stops.

Not tags: tags are the sender's own (up to 4 KiB of them cross unchanged, and a bridge adding its own
could push them past the limit; names under `imgshare.` are kept for the protocol), and they change
only with an image, while the far sender can die, or the link fall silent, after the last image. So
this file is the carrier of the live state, and only what() and write() know where it is.
It sits in $XDG_RUNTIME_DIR/imgshare-bridges, or the temporary folder's imgshare-bridges-UID, named by
the IPC namespace (separate namespaces share a file system) and the System V key; it counts only while
the pid it names serves the key.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..ipc.info import ShareInfo
from ..ipc.qt.liveness import is_alive, own_identity


def folder() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "imgshare-bridges"
    return Path(tempfile.gettempdir()) / f"imgshare-bridges-{os.getuid()}"


def _namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/ipc").st_ino)
    except OSError:
        return "0"


def path_for(sysv_key: int) -> Path:
    return folder() / f"{_namespace()}-{sysv_key & 0xFFFFFFFF:08x}.json"


def write(sysv_key: int, status: dict[str, Any]) -> None:
    """Record this process's pull state for the key (atomically: readers never see half a file)."""
    path = path_for(sysv_key)
    pid, start = own_identity()
    data = dict(status, pid=pid, start=start)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        temporary = path.with_suffix(f".{pid}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # the state is a convenience: pulling goes on without it


def remove(sysv_key: int) -> None:
    """Take this process's file away (and any a killed puller left), and the folder once empty."""
    path = path_for(sysv_key)
    if _owner(path) == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()
    sweep()


def sweep() -> None:
    """Remove files of pullers that no longer run; the folder too when nothing is left in it."""
    base = folder()
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        path = base / name
        data = _load(path)
        if data is None or not is_alive(int(data.get("pid", 0)), int(data.get("start", 0))):
            with contextlib.suppress(OSError):
                path.unlink()
    with contextlib.suppress(OSError):
        base.rmdir()


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _owner(path: Path) -> int:
    data = _load(path)
    return int(data.get("pid", 0)) if data else 0


def what(info: ShareInfo) -> dict[str, Any] | None:
    """The pull state of the key info describes, if a live puller serves it (else None)."""
    data = _load(path_for(info.sysv_key))
    if data is None or data.get("key") != info.key:
        return None
    pid, start = int(data.get("pid", 0)), int(data.get("start", 0))
    if pid != info.sender_pid or not is_alive(pid, start):
        return None
    return data
