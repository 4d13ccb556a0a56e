"""One pixel's value in its image's own mode, written for people (no Tk): what the inspector shows.

The value is read from the image as received (not the display copy), so a 16-bit pixel shows its raw
16-bit number, a float its float, and a palette pixel its index and the colour the palette gives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from ...image16 import Image16

_BANDS = {"L": ("L",), "LA": ("L", "A"), "RGB": ("R", "G", "B"), "RGBA": ("R", "G", "B", "A"),
          "RGB;16": ("R", "G", "B"), "RGBA;16": ("R", "G", "B", "A")}


@dataclass(frozen=True)
class PixelValue:
    """The pixel at (x, y) of an image of mode: its components as (name, written value) pairs."""

    x: int
    y: int
    mode: str
    components: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """'R 255  G 0  B 0  A 255' (one name and value per component)."""
        return "  ".join(f"{name} {value}" for name, value in self.components)

    @property
    def copy_text(self) -> str:
        """One line for the clipboard: 'x 10, y 20, RGBA: R 255  G 0  B 0  A 255'."""
        return f"x {self.x}, y {self.y}, {self.mode}: {self.text}"


def read_pixel(image: Image.Image | Image16, x: int, y: int) -> PixelValue | None:
    """The value at (x, y), or None when that point is outside the image."""
    if not (0 <= x < image.width and 0 <= y < image.height):
        return None
    value = image.getpixel((x, y))
    mode = image.mode
    if mode == "P" and isinstance(image, Image.Image):
        return PixelValue(x, y, mode, _palette_entry(image, int(value)))  # type: ignore[arg-type]
    if mode == "1":
        components: tuple[tuple[str, str], ...] = (("value", "1" if value else "0"),)
    elif mode == "F":
        components = (("value", write_float(float(value))),)  # type: ignore[arg-type]
    elif isinstance(value, tuple):
        names = _BANDS[mode] if mode in _BANDS else Image.getmodebandnames(mode)
        components = tuple((name, str(v)) for name, v in zip(names, value, strict=True))
    else:  # L, I;16, I: one integer
        components = (("value" if mode != "L" else "L", str(value)),)
    return PixelValue(x, y, mode, components)


def write_float(value: float) -> str:
    """A float32 value with the 9 significant digits that tell any two apart ('inf', 'nan' as such)."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.9g}"


def _palette_entry(image: Image.Image, index: int) -> tuple[tuple[str, str], ...]:
    """A palette pixel: its index, the palette's colour for it, and its alpha when the image has one."""
    palette = image.getpalette("RGBA") or []
    rgba = tuple(palette[4 * index:4 * index + 4]) if len(palette) >= 4 * index + 4 else (0, 0, 0, 255)
    alpha = rgba[3]
    transparency = image.info.get("transparency")
    if isinstance(transparency, int):
        alpha = 0 if transparency == index else alpha
    elif isinstance(transparency, bytes) and index < len(transparency):
        alpha = transparency[index]
    colour = "#{:02x}{:02x}{:02x}".format(*rgba[:3])
    components = [("index", str(index)), ("colour", f"{colour} ({rgba[0]}, {rgba[1]}, {rgba[2]})")]
    if alpha != 255 or transparency is not None or (image.palette is not None and image.palette.mode == "RGBA"):
        components.append(("A", str(alpha)))
    return tuple(components)
