"""Which Pillow modes travel as they are, how their pixels are laid out, and what the rest become."""

from __future__ import annotations

from PIL import Image

# mode -> (bits per pixel, Pillow raw mode of the little-endian wire layout)
_LAYOUT = {
    "1": (1, "1"),  # 8 pixels a byte, most significant bit first, rows padded to whole bytes
    "L": (8, "L"),
    "LA": (16, "LA"),
    "P": (8, "P"),
    "RGB": (24, "RGB"),
    "RGBA": (32, "RGBA"),
    "I;16": (16, "I;16"),  # unsigned 16-bit little-endian
    "I": (32, "I;32S"),  # signed 32-bit little-endian
    "F": (32, "F;32F"),  # IEEE float32 little-endian
}
CARRIED_MODES = frozenset(_LAYOUT)

# Modes that are not carried but convert without loss to one that is.
LOSSLESS_TARGET = {"I;16L": "I;16", "I;16B": "I;16", "I;16N": "I;16", "RGBX": "RGB", "PA": "RGBA",
                    "La": "LA", "RGBa": "RGBA"}


def row_bytes(mode: str, width: int) -> int:
    """Bytes in one unpadded row of width pixels of a carried mode."""
    bits = _LAYOUT[mode][0]
    return (width * bits + 7) // 8


def wire_rawmode(mode: str) -> str:
    """The Pillow raw mode that packs or unpacks a carried mode's wire layout."""
    return _LAYOUT[mode][1]


def carried_mode_for(mode: str) -> str:
    """The mode an image of this mode travels in: itself if carried, else a lossless or RGB(A) stand-in."""
    if mode in CARRIED_MODES:
        return mode
    if mode in LOSSLESS_TARGET:
        return LOSSLESS_TARGET[mode]
    return "RGBA" if has_alpha(mode) else "RGB"


def has_alpha(mode: str) -> bool:
    # LAB's "A" is the a* colour axis, not alpha; premultiplied modes use a lower-case "a".
    try:
        bands = Image.getmodebandnames(mode)
    except (KeyError, ValueError):
        return False
    return mode != "LAB" and ("A" in bands or "a" in bands)


def to_carried(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image in a carried mode, and whether it had to be converted."""
    target = carried_mode_for(image.mode)
    if target == image.mode:
        return image, False
    if target == "I;16":
        # Pillow's direct I;16B -> I;16 conversion clips to 8 bits; through 32-bit "I" is exact.
        return image.convert("I").convert("I;16"), True
    return image.convert(target), True
