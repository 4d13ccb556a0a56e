"""What a sender is about to write into a slot: the image's layout and descriptor fields, and how to
fill the payload. pixels.py and arrays.py make one from a Pillow image, an Image16 or a numpy array."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .hashing import Hasher
from .layout.modes import row_bytes
from .layout.size import check_image_size

Fill = Callable[[memoryview, "Hasher | None"], None]


@dataclass(frozen=True)
class Payload:
    """One image ready to be written: unpadded rows (stride = row_bytes)."""

    mode: str
    width: int
    height: int
    fill: Fill | None  # writes the rows into a slot's payload, feeding a hasher; None: already written
    flags: int = 0
    source_mode: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # palette and transparency descriptor fields

    def __post_init__(self) -> None:
        check_image_size(self.width, self.height)

    @property
    def stride(self) -> int:
        return row_bytes(self.mode, self.width)

    @property
    def length(self) -> int:
        return self.stride * self.height
