"""Internal errors go, with their traceback, to a log file the user can find."""

from __future__ import annotations

import datetime
import os
import traceback
from pathlib import Path


def state_dir() -> Path:
    """$XDG_STATE_HOME/imgshare, or ~/.local/state/imgshare (created on demand)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "imgshare"


def log_path() -> Path:
    return state_dir() / "imgshare.log"


def write_crash_log(exc: BaseException, context: str = "") -> Path:
    """Append exc's traceback to the log file and return its path (a temp file if home is unwritable)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    entry = f"--- {stamp} pid {os.getpid()} {context}\n{text}\n"
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(entry)
    except OSError:
        import tempfile
        path = Path(tempfile.gettempdir()) / f"imgshare-{os.getuid()}.log"
        with open(path, "a", encoding="utf-8") as f:
            f.write(entry)
    return path
