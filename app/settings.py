"""The window's remembered choices (no Tk): recent keys and files, the last folder, the theme, and how
much of a followed stream the Receiver keeps (history_frames, history_megabytes: whichever is reached
first; edit the file to change them).

Kept as JSON in $XDG_CONFIG_HOME/imgshare/settings.json (~/.config/imgshare/ by default), written
atomically (a temporary file renamed over the old one), so two windows closing at once never leave a
half-written file. A missing or broken file is not an error: the defaults are used and a log line
says why, since losing a recent-keys list must never stop the window from opening.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

RECENT_MAX = 10  # entries kept in each recent list
HISTORY_FRAMES = 300  # the Receiver's history of followed frames: at most this many...
HISTORY_MEGABYTES = 512  # ...holding at most this much memory (images and their display copies)
FILE_NAME = "settings.json"


class ThemeChoice(enum.Enum):
    """The theme setting: follow the desktop's preference, or one of the two palettes."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass
class Settings:
    """What the window remembers between runs."""

    recent_keys: list[str] = field(default_factory=list)
    recent_files: list[str] = field(default_factory=list)
    last_folder: str = ""
    theme: ThemeChoice = ThemeChoice.SYSTEM
    history_frames: int = HISTORY_FRAMES
    history_megabytes: float = HISTORY_MEGABYTES

    def remember_key(self, key: str) -> None:
        self.recent_keys = _pushed(self.recent_keys, key)

    def remember_file(self, path: str) -> None:
        path = os.path.abspath(path)
        self.recent_files = _pushed(self.recent_files, path)
        self.last_folder = os.path.dirname(path)

    def start_folder(self) -> str:
        """Where a file dialog opens: the last folder used if it still exists, else ~/Pictures, else home."""
        for folder in (self.last_folder, os.path.join(Path.home(), "Pictures")):
            if folder and os.path.isdir(folder):
                return folder
        return str(Path.home())


def _pushed(items: list[str], item: str) -> list[str]:
    if not item:
        return items
    return [item, *[other for other in items if other != item]][:RECENT_MAX]


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "imgshare"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults (with a log line) when the file is missing or broken."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring the settings file %s: %s", path, exc)
        return Settings()
    return _from_dict(data, path)


Stamp = tuple[int, int] | None  # the settings file's inode and modification time (None: no file)


def stamp(path: Path | None = None) -> Stamp:
    """What tells that the file changed: save() replaces it, so its inode changes with every save."""
    try:
        found = os.stat(path or settings_path())
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def reload_if_changed(since: Stamp, path: Path | None = None) -> tuple[Stamp, Settings | None]:
    """(the file's stamp now, the settings if the file changed since the stamp since, else None): how
    every open window learns what another window saved (a theme chosen there applies here too)."""
    now = stamp(path)
    return now, (load(path) if now != since else None)


def _from_dict(data: object, path: Path) -> Settings:
    settings = Settings()
    if not isinstance(data, dict):
        log.warning("ignoring the settings file %s: not a JSON object", path)
        return settings
    for name in ("recent_keys", "recent_files"):
        value = data.get(name, [])
        if isinstance(value, list):
            setattr(settings, name, [item for item in value if isinstance(item, str) and item][:RECENT_MAX])
    if isinstance(data.get("last_folder"), str):
        settings.last_folder = data["last_folder"]
    if data.get("theme") in {choice.value for choice in ThemeChoice}:
        settings.theme = ThemeChoice(data["theme"])
    for name in ("history_frames", "history_megabytes"):
        value = data.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            setattr(settings, name, int(value) if name == "history_frames" else float(value))
    return settings


def _to_dict(settings: Settings) -> dict[str, object]:
    return {"recent_keys": settings.recent_keys, "recent_files": settings.recent_files,
            "last_folder": settings.last_folder, "theme": settings.theme.value,
            "history_frames": settings.history_frames, "history_megabytes": settings.history_megabytes}


def update(change: Callable[[Settings], None], path: Path | None = None) -> Settings:
    """Load the settings as saved now (another window may have saved since), change them, save them;
    returns them."""
    settings = load(path)
    change(settings)
    save(settings, path)
    return settings


def save(settings: Settings, path: Path | None = None) -> bool:
    """Write settings atomically; False (with a log line) if the folder cannot be written."""
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(_to_dict(settings), out, indent=1)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        log.warning("could not save the settings to %s: %s", path, exc)
        return False
    return True

