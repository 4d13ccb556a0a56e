"""What a receiver learns about a share besides its pixels."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from PIL import Image

from .control import Control
from .header import ChecksumKind, Header
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
    bgr: bool = False  # RGB(A) pixels carried in OpenCV's order (B, G, R)

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

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(age=round(self.age, 3), state=self.state)
        return data

    @classmethod
    def from_parts(cls, control: Control, h: Header, sysv_key: int, segment_id: int,
                   segment_size: int) -> ShareInfo:
        """The info of the image h, published in a segment whose control block is control. The sender
        is judged alive by the owner the control block names (the process serving the key now)."""
        checksum = f"xxh3:{h.checksum:016x}" if h.checksum_kind is ChecksumKind.XXH3_64 else "none"
        return cls(
            key=control.key, sysv_key=sysv_key, sequence=h.sequence, width=h.width, height=h.height,
            mode=h.mode, source_mode=h.source_mode, converted=h.converted, source_name=h.source_name,
            sender_pid=h.sender_pid, sender_alive=is_alive(control.owner_pid, control.owner_start),
            persisted=control.persisted, timestamp=h.timestamp_ns / 1e9, stride=h.stride,
            payload_length=h.payload_length, checksum=checksum, segment_id=segment_id,
            segment_size=segment_size, bgr=h.bgr,
        )


def missed_between(last: ShareInfo | None, new: ShareInfo) -> int:
    """How many shares came between last and new, from their sequences (0 when they cannot be compared:
    nothing before, or the sequence went back because another sender started the key afresh)."""
    if last is None or new.sequence <= last.sequence:
        return 0
    return new.sequence - last.sequence - 1


class Received(NamedTuple):
    """What Receiver.receive() returns: `image, info = receiver.receive()`."""

    image: Image.Image
    info: ShareInfo


class ReceivedArray(NamedTuple):
    """What Receiver.receive_array() returns: `array, info = receiver.receive_array()` (a numpy array)."""

    array: Any
    info: ShareInfo
