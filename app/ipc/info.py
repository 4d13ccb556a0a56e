"""What a receiver learns about a share besides its pixels."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from PIL import Image

from ..image16 import Image16


@dataclass(frozen=True)
class ShareInfo:
    """The metadata of one share: what its descriptor says, plus what the OS says now.

    Fields a bridge or a script may rely on: key, sysv_key, epoch and sequence (together they name the
    image), width, height, mode (one of docs/protocol.md §8.1), source_mode and converted, source_name,
    tags (the JSON object the sender attached), sender_pid (in the sender's PID namespace),
    sender_alive, persisted, timestamp (Unix time), stride, payload_length, checksum ("xxh3:..." or
    "none"), bgr, segment_id and segment_size (the data segment holding the pixels).
    """

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
    epoch: int = 0  # names one life of the key: the sequence rises within it (0: a kind without epochs)
    tags: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def identity(self) -> tuple[object, ...]:
        """What tells one image from the next: equal identities describe the same shared image. Kinds
        of channel without epochs (Qt mode) override it."""
        return self.epoch, self.sequence

    def missed_since(self, previous: ShareInfo | None) -> int:
        """How many images were shared between previous and this one (docs/protocol.md §10.4): within one
        epoch the difference of sequences; after the key was removed and made again (another epoch),
        every image of the new epoch before this one. 0 without a previous image."""
        if previous is None or previous.key != self.key:
            return 0
        if previous.epoch == self.epoch:
            return max(0, self.sequence - previous.sequence - 1)
        return max(0, self.sequence - 1)

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
        data.update(age=round(self.age, 3), state=self.state, epoch=f"{self.epoch:016x}")
        return data


def missed_between(last: ShareInfo | None, new: ShareInfo) -> int:
    """ShareInfo.missed_since, for callers that hold two infos."""
    return new.missed_since(last)


class Received(NamedTuple):
    """What Receiver.receive() returns: `image, info = receiver.receive()`. The image is a Pillow image,
    or an imgshare.Image16 for modes RGB;16 and RGBA;16 (which Pillow has no mode for)."""

    image: Image.Image | Image16
    info: ShareInfo


class ReceivedArray(NamedTuple):
    """What Receiver.receive_array() returns: `array, info = receiver.receive_array()` (a numpy array)."""

    array: Any
    info: ShareInfo
