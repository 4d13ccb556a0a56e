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
