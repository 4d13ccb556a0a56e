"""What /proc/sysvipc says about segments and semaphore sets, read without attaching any of them.

Listing, cleaning, the limits check, naming another user's objects and Qt mode read it: an extra
attachment would change what they look at (nattch, and Qt's "last to detach removes it" rule).
"""

from __future__ import annotations

import pwd


def _rows(path: str) -> list[dict[str, int]]:
    rows = []
    try:
        with open(path) as f:
            names = f.readline().split()
            for line in f:
                values = dict(zip(names, line.split(), strict=False))
                row = {k: int(v) for k, v in values.items() if v.lstrip("-").isdigit()}
                if "perms" in values:
                    row["perms"] = int(values["perms"], 8)  # printed in octal
                rows.append(row)
    except OSError:
        return []
    return rows


def shm_rows() -> list[dict[str, int]]:
    """Every row of /proc/sysvipc/shm (key, shmid, perms, size, cpid, lpid, nattch, uid, gid, cuid...)."""
    return _rows("/proc/sysvipc/shm")


def sem_rows() -> list[dict[str, int]]:
    """Every row of /proc/sysvipc/sem (key, semid, perms, nsems, uid, gid, cuid, cgid, otime, ctime)."""
    return _rows("/proc/sysvipc/sem")


def shm_row(shmid: int) -> dict[str, int] | None:
    """The row of a segment, or None if it is gone."""
    return next((row for row in shm_rows() if row.get("shmid") == shmid), None)


def shmid_at(sysv: int) -> int | None:
    """The id of the segment at a System V key, or None."""
    return next((row.get("shmid") for row in shm_rows() if row.get("key") == sysv), None)


def user_name(uid: int) -> str:
    """'nobody (uid 65534)', or 'uid 1234' for a uid with no name."""
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def owner_at(sysv: int) -> str:
    """Who owns the objects at a System V key ('another user' when /proc does not say)."""
    for row in shm_rows() + sem_rows():
        if row.get("key") == sysv and "uid" in row:
            return user_name(row["uid"])
    return "another user"
