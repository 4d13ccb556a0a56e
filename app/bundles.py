"""Stale `_MEI*` folders of the one-file binary: a SIGKILL of the whole program (launcher and Python
process at once) leaves its unpacked copy, tens of MB, in the temporary folder, since nothing is left
to remove it. Each start of the binary removes such folders of earlier runs.

PyInstaller's one-file launcher names the folder `_MEI` + its own pid in 8 hex digits + 6 random
characters (bootloader, pyi_utils_posix.c), which says whose it was. A folder is removed only when
all of these hold: it is named so and sits beside this run's own folder; it is a real folder (not a
link) of this user; it holds imgshare's bundle (its icon folder); its launcher is gone (no such
process, or the pid now names a process started after the folder was made); and no running process
has a file of it mapped (a Python process still shutting down after its launcher was killed).
"""

from __future__ import annotations

import os
import re
import shutil
import stat

_NAME = re.compile(r"_MEI([0-9a-f]{8})[A-Za-z0-9]{6}")
_MARKER = os.path.join("imgshare", "assets")  # only imgshare's bundle has it (packaging/imgshare.spec)
_CLOCK_SLACK = 2.0  # seconds: a process start time is known to the clock tick, a folder's time to the ns


def remove_stale_bundles(own: str) -> list[str]:
    """Remove the stale `_MEI*` folders beside own (this run's folder); returns the paths removed."""
    parent, own_name = os.path.split(own.rstrip(os.sep))
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    candidates = []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is None or name == own_name:
            continue
        path = os.path.join(parent, name)
        if _removable(path, int(match.group(1), 16)):
            candidates.append(path)
    if not candidates:
        return []
    in_use = _mapped_folders(candidates)
    removed = []
    for path in candidates:
        if path not in in_use:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _removable(path: str, launcher: int) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    if not os.path.isdir(os.path.join(path, _MARKER)):
        return False  # another PyInstaller program's: not ours to judge
    started = _start_time(launcher)
    return started is None or started > info.st_mtime + _CLOCK_SLACK  # gone, or the pid was reused


def _start_time(pid: int) -> float | None:
    """When the process pid started (seconds since the epoch), or None if there is none."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _mapped_folders(folders: list[str]) -> set[str]:
    """Those of folders that a running process (of this user: others' maps are not readable) has a
    file of mapped."""
    prefixes = {folder: folder + os.sep for folder in folders}
    found: set[str] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/maps") as f:
                maps = f.read()
        except OSError:
            continue
        for folder, prefix in prefixes.items():
            if prefix in maps:
                found.add(folder)
    return found
