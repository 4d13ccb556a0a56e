"""Which Pillow modes travel as they are, the raw modes that pack and unpack them, and what the rest
become (docs/protocol.md §8.1, §8.2)."""

from __future__ import annotations

import sys

from PIL import Image

from .layout.modes import CARRIED_MODES, WIDE_MODES

# Pillow raw mode of each carried mode's little-endian layout (the 16-bit colour modes have no Pillow mode).
_RAWMODE = {"1": "1", "L": "L", "LA": "LA", "P": "P", "RGB": "RGB", "RGBA": "RGBA", "I;16": "I;16",
            "I": "I;32S", "F": "F;32F"}
PILLOW_MODES = frozenset(_RAWMODE)

# Modes whose layout Pillow can map in place (Image.frombuffer without a copy) on this host.
MAPPABLE = frozenset({"L", "P", "RGBA"} | ({"I;16"} if sys.byteorder == "little" else set()))

# Modes that are not carried but convert without loss to one that is.
LOSSLESS_TARGET = {"I;16L": "I;16", "I;16B": "I;16", "I;16N": "I;16", "RGBX": "RGB", "PA": "RGBA",
                   "La": "LA", "RGBa": "RGBA"}


def wire_rawmode(mode: str, bgr: bool = False) -> str:
    """The Pillow raw mode that packs or unpacks a Pillow-carried mode (BGR: OpenCV's order)."""
    if bgr:
        return {"RGB": "BGR", "RGBA": "BGRA"}[mode]
    return _RAWMODE[mode]


def has_alpha(mode: str) -> bool:
    # LAB's "A" is the a* colour axis, not alpha; premultiplied modes use a lower-case "a".
    try:
        bands = Image.getmodebandnames(mode)
    except (KeyError, ValueError):
        return False
    return mode != "LAB" and ("A" in bands or "a" in bands)


def carried_mode_for(mode: str) -> str:
    """The mode an image of this Pillow mode travels in: itself, a lossless stand-in, or RGB(A)."""
    if mode in CARRIED_MODES and mode not in WIDE_MODES:
        return mode
    if mode in LOSSLESS_TARGET:
        return LOSSLESS_TARGET[mode]
    return "RGBA" if has_alpha(mode) else "RGB"


def to_carried(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image in a carried mode, and whether it had to be converted."""
    target = carried_mode_for(image.mode)
    if target == image.mode:
        return image, False
    if target == "I;16":
        # Pillow's direct I;16B -> I;16 conversion clips to 8 bits; through 32-bit "I" is exact.
        return image.convert("I").convert("I;16"), True
    return image.convert(target), True
