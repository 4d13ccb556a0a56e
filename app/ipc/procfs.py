"""What /proc/sysvipc/shm says about shared-memory segments, read without attaching any of them.

Listing, cleaning, the limits check and Qt mode all read it; an extra attachment would change what
they are looking at (nattch, and Qt's "last to detach removes it" rule).
"""

from __future__ import annotations


def shm_rows() -> list[dict[str, int]]:
    """Every row of /proc/sysvipc/shm, as integers (Linux only; empty elsewhere)."""
    rows = []
    try:
        with open("/proc/sysvipc/shm") as f:
            names = f.readline().split()
            for line in f:
                values = dict(zip(names, line.split(), strict=False))
                rows.append({k: int(v) for k, v in values.items() if v.lstrip("-").isdigit()})
    except OSError:
        return []
    return rows


def shm_row(shmid: int) -> dict[str, int] | None:
    """The row of a segment (cpid, nattch, ctime, uid, size...), or None if it is gone."""
    return next((row for row in shm_rows() if row.get("shmid") == shmid), None)


def shmid_at(sysv: int) -> int | None:
    """The id of the segment at a System V key, or None."""
    return next((row.get("shmid") for row in shm_rows() if row.get("key") == sysv), None)
