"""Is a sender still running? A pid alone can be reused, so the header also stores its start time."""

from __future__ import annotations

import os


def _stat(pid: int) -> tuple[bytes, int] | None:
    """(state letter, start time in clock ticks since boot) from /proc/PID/stat, None if no such pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def process_start_ticks(pid: int) -> int:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), 0 if unknown."""
    stat = _stat(pid)
    return stat[1] if stat else 0


_own = {"pid": 0, "ticks": 0}


def own_identity() -> tuple[int, int]:
    """(pid, start ticks) of this process, as written into the headers it shares (fork-safe)."""
    pid = os.getpid()
    if _own["pid"] != pid:
        _own.update(pid=pid, ticks=process_start_ticks(pid))
    return pid, _own["ticks"]


def is_alive(pid: int, start_ticks: int = 0) -> bool:
    """Whether pid runs and, when start_ticks is known, is the same process that wrote it.

    A zombie (killed, not yet reaped by its parent) counts as dead: it will never touch the segment.
    """
    if pid <= 0:
        return False
    if os.path.isdir("/proc/self"):
        stat = _stat(pid)
        if stat is None or stat[0] in (b"Z", b"X"):
            return False
        return start_ticks == 0 or stat[1] == start_ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
