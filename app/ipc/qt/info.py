"""What imgshare can tell about a Qt share: its image, and what the kernel says about its segment.

A Qt stream carries no header: no sequence number, no row stride, no checksum of the pixels. The
ShareInfo fields that describe imgshare's header therefore hold their empty values for a Qt share
(sequence 0, stride 0, checksum ""), which as_dict() (the JSON and the command line's text) gives as
None rather than as values that look real; what a Qt share does have is in fields of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import xxhash
from PIL import Image

from ..info import ShareInfo
from .liveness import is_alive


@dataclass(frozen=True)
class QtShareInfo(ShareInfo):
    """ShareInfo for a Qt share. sender_pid is the segment's creator, timestamp its creation time
    (shm_ctime), source_name set only if imgshare sent it; payload_length is the stream's length."""

    encoding: str = "png"  # the image file format inside the stream (Qt writes PNG)
    stream_length: int = 0  # bytes read as `QDataStream << QImage` (the whole segment; zeros may follow)
    stream_digest: str = ""  # xxh3-64 of the stream: tells two images in one segment apart
    key_file: str = ""  # the qipc_sharedmemory_* file whose ftok key names the segment

    @property
    def identity(self) -> tuple[object, ...]:
        """The same segment of the same sender holding the same bytes is the same image. A Qt
        program makes a new segment per image; imgshare's QtSender rewrites its segment in place,
        so the stream's digest is what changes."""
        return self.sender_pid, self.segment_id, self.stream_digest

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data.update(sequence=None, stride=None, checksum=None)  # a Qt stream has none of them
        return data


def build_info(key: str, sysv: int, image: Image.Image, encoding: str, source_name: str,
               stream: bytes, row: dict[str, int], key_file: str) -> QtShareInfo:
    """The info of a share whose segment's /proc row (taken before detaching) is row; its nattch
    counts the others attached. The sender is alive if its creator runs and is still attached (a Qt
    sender stays attached while it shares)."""
    creator = row.get("cpid", 0)
    return QtShareInfo(
        key=key, sysv_key=sysv, sequence=0, width=image.width, height=image.height, mode=image.mode,
        source_mode=image.mode, converted=False, source_name=source_name, sender_pid=creator,
        sender_alive=is_alive(creator) and row.get("nattch", 0) > 0, persisted=False,
        timestamp=float(row.get("ctime", 0)), stride=0, payload_length=len(stream), checksum="",
        segment_id=row.get("shmid", -1), segment_size=row.get("size", len(stream)),
        encoding=encoding.lower(), stream_length=len(stream), stream_digest=xxhash.xxh3_64_hexdigest(stream),
        key_file=os.path.basename(key_file),
    )
