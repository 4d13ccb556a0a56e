"""What a receiver learns about a share besides its pixels."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import NamedTuple

from PIL import Image

from .header import Header
from .liveness import is_alive


@dataclass(frozen=True)
class ShareInfo:
    """The metadata of one share, as its header states it plus what the OS says now."""

    key: str
    sysv_key: int
    sequence: int
    width: int
    height: int
    mode: str
    source_mode: str
    converted: bool
    source_name: str
    sender_pid: int
    sender_alive: bool
    persisted: bool
    timestamp: float  # Unix time of the share
    stride: int
    payload_length: int
    checksum: str
    segment_id: int
    segment_size: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def identity(self) -> tuple[object, ...]:
        """What tells one image from the next, even across senders whose sequences restart: two
        infos with equal identities describe the same shared image. Kinds of channel without a
        sequence (Qt mode) override it."""
        return self.sender_pid, self.sequence, self.timestamp

    @property
    def age(self) -> float:
        """Seconds since the share (by this machine's clock)."""
        return max(0.0, time.time() - self.timestamp)

    @property
    def state(self) -> str:
        """'persisted' (left on purpose), 'alive' (its sender serves it) or 'sender gone' (crashed)."""
        if self.persisted:
            return "persisted"
        return "alive" if self.sender_alive else "sender gone"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(age=round(self.age, 3), state=self.state)
        return data

    @classmethod
    def from_header(cls, h: Header, sysv_key: int, segment_id: int, segment_size: int) -> ShareInfo:
        return cls(
            key=h.key, sysv_key=sysv_key, sequence=h.sequence, width=h.width, height=h.height,
            mode=h.mode, source_mode=h.source_mode, converted=h.converted, source_name=h.source_name,
            sender_pid=h.sender_pid, sender_alive=is_alive(h.sender_pid, h.sender_start),
            persisted=h.persisted, timestamp=h.timestamp_ns / 1e9, stride=h.stride,
            payload_length=h.payload_length, checksum=f"xxh3:{h.checksum:016x}",
            segment_id=segment_id, segment_size=segment_size,
        )


class Received(NamedTuple):
    """What Receiver.receive() returns: `image, info = receiver.receive()`."""

    image: Image.Image
    info: ShareInfo
