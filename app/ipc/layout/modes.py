"""The modes a share's pixels can be in and how each is laid out (docs/protocol.md §8.1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    """One mode's layout: bits a pixel, samples a pixel, bytes a sample, and what it allows."""

    name: str
    bits: int
    samples: int
    sample_bytes: int  # 0 for mode 1 (bits), 1, 2 or 4
    bgr: bool = False  # may carry the BGR flag
    transparency_max: int = 0  # largest value a transparency kind 1 or 2 may hold (0: none allowed)


_MODES = (
    Mode("1", 1, 1, 0, transparency_max=255),
    Mode("L", 8, 1, 1, transparency_max=255),
    Mode("LA", 16, 2, 1),
    Mode("P", 8, 1, 1, transparency_max=255),
    Mode("RGB", 24, 3, 1, bgr=True, transparency_max=255),
    Mode("RGBA", 32, 4, 1, bgr=True),
    Mode("I;16", 16, 1, 2, transparency_max=65535),
    Mode("I", 32, 1, 4, transparency_max=2**31 - 1),
    Mode("F", 32, 1, 4),
    Mode("RGB;16", 48, 3, 2, bgr=True, transparency_max=65535),
    Mode("RGBA;16", 64, 4, 2, bgr=True),
)
MODES = {mode.name: mode for mode in _MODES}
CARRIED_MODES = frozenset(MODES)
BGR_MODES = frozenset(name for name, mode in MODES.items() if mode.bgr)
WIDE_MODES = frozenset({"RGB;16", "RGBA;16"})  # 16 bits a sample, colour: no Pillow mode holds them


def row_bytes(mode: str, width: int) -> int:
    """Bytes in one unpadded row of width pixels of a carried mode."""
    return (width * MODES[mode].bits + 7) // 8
