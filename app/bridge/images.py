"""Pulled images as Pillow images, for a program that shows them itself (the window's Receiver) instead
of republishing them under a local key."""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from ..ipc.header import ChecksumKind, Header
from ..ipc.info import ShareInfo
from ..ipc.pixels import read_pixels
from ..ipc.raw import RawImage

Deliver = Callable[[Image.Image, ShareInfo], None]


def remote_info(header: Header, source: str, alive: bool = True) -> ShareInfo:
    """The ShareInfo of an image pulled from source (the address as typed): the far sender's pid and
    facts; no System V key or segment here (0)."""
    checksum = f"xxh3:{header.checksum:016x}" if header.checksum_kind is ChecksumKind.XXH3_64 else "none"
    return ShareInfo(key=source, sysv_key=0, sequence=header.sequence, width=header.width, height=header.height,
                     mode=header.mode, source_mode=header.source_mode, converted=header.converted,
                     source_name=header.source_name, sender_pid=header.sender_pid, sender_alive=alive,
                     persisted=False, timestamp=header.timestamp_ns / 1e9, stride=header.stride,
                     payload_length=header.payload_length, checksum=checksum, segment_id=0, segment_size=0,
                     bgr=header.bgr)


class ImageSink:
    """A FrameSink that checks each image's XXH3 and hands it on as a Pillow image and its ShareInfo."""

    def __init__(self, source: str, deliver: Deliver):
        self.source = source
        self.deliver = deliver

    def publish(self, raw: RawImage, remote_key: str) -> None:
        import xxhash

        from ..ipc.raw import ChecksumMismatchError
        if xxhash.xxh3_64_intdigest(raw.pixels) != raw.checksum:
            raise ChecksumMismatchError(f"an image from {self.source} arrived damaged (its XXH3 checksum does "
                                        "not match its bytes); it was not shown")
        image = read_pixels(raw.header, raw.pixels, borrow=False)  # a copy: the network buffer is reused
        self.deliver(image, remote_info(raw.header, self.source))

    def close(self) -> None:
        pass
