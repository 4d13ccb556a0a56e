"""Images as their payload and descriptor, byte for byte: what a bridge carries to another host.

A RawImage is what a receiver read (the descriptor as its sender wrote it, and a private copy of the
slot's payload, padding included) and what a sender publishes as it is (Sender.share_raw), so every
field of the descriptor, the ones a later protocol adds included, crosses unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CorruptSegmentError
from .header import Header
from .info import ShareInfo


@dataclass(frozen=True)
class RawImage:
    """One shared image as raw bytes: `header.payload_length` bytes in rows of `header.stride`."""

    header: Header
    pixels: memoryview  # a private copy: no other process can change it
    checksum: int  # XXH3-64 of pixels: the sender's own when it made one, else computed from the copy
    info: ShareInfo | None = None  # as a receiver saw it (None for an image that came from elsewhere)

    @property
    def identity(self) -> tuple[object, ...]:
        """The sender's pid, the sequence and the time of the share: equal for the same image."""
        h = self.header
        return h.sender_pid, h.sequence, h.timestamp_ns


class ChecksumMismatchError(CorruptSegmentError):
    """The bytes to publish are not those their checksum describes: nothing was published."""
