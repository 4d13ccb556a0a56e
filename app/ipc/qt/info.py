"""What imgshare can tell about a Qt share: its image, and what the kernel says about its segment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

from ..info import ShareInfo
from ..liveness import is_alive


@dataclass(frozen=True)
class QtShareInfo(ShareInfo):
    """ShareInfo for a Qt share. Qt stores no metadata, so: sequence 0, stride 0, checksum names the
    encoding ("png"), payload_length is the stream's length (the segment's size), sender_pid is the
    segment's creator, timestamp its creation time (shm_ctime), source_name only if imgshare sent it."""

    encoding: str = "png"
    key_file: str = ""


def shm_row(shmid: int) -> dict[str, int] | None:
    """The /proc/sysvipc/shm row of a segment (cpid, nattch, ctime, uid...), or None if it is gone."""
    for row in shm_rows():
        if row.get("shmid") == shmid:
            return row
    return None


def shmid_at(sysv: int) -> int | None:
    """The id of the segment at a System V key, read from /proc: never attaching it, since an extra
    attachment would keep a Qt peer's last-detach rule from removing it."""
    for row in shm_rows():
        if row.get("key") == sysv:
            return row.get("shmid")
    return None


def shm_rows() -> list[dict[str, int]]:
    """Every row of /proc/sysvipc/shm, as integers (Linux only; empty elsewhere)."""
    rows = []
    try:
        with open("/proc/sysvipc/shm") as f:
            names = f.readline().split()
            for line in f:
                values = dict(zip(names, line.split()))
                rows.append({k: int(v) for k, v in values.items() if v.lstrip("-").isdigit()})
    except OSError:
        return []
    return rows


def build_info(key: str, sysv: int, image: Image.Image, encoding: str, source_name: str,
               stream_length: int, row: dict[str, int], key_file: str) -> QtShareInfo:
    """The info of a share whose segment's /proc row (taken before detaching) is row; its nattch
    counts the others attached. The sender is alive if its creator runs and is still attached (a Qt
    sender stays attached while it shares)."""
    creator = row.get("cpid", 0)
    return QtShareInfo(
        key=key, sysv_key=sysv, sequence=0, width=image.width, height=image.height, mode=image.mode,
        source_mode=image.mode, converted=False, source_name=source_name, sender_pid=creator,
        sender_alive=is_alive(creator) and row.get("nattch", 0) > 0, persisted=False,
        timestamp=float(row.get("ctime", 0)),
        stride=0, payload_length=stream_length, checksum=encoding.lower(), segment_id=row.get("shmid", -1),
        segment_size=row.get("size", stream_length), encoding=encoding.lower(), key_file=os.path.basename(key_file),
    )
