"""16-bit-a-sample colour images (modes RGB;16 and RGBA;16), which Pillow has no mode for.

An Image16 holds little-endian rows without padding, as protocol 3 carries them (docs/protocol.md §8.1),
and offers what a Pillow user reaches for: size, mode, getpixel, one exact Pillow "I;16" image per band,
an 8-bit copy for display, exact PNG and TIFF files (Image16.open, save), and numpy through
`numpy.asarray(image)` (a (H, W, 3|4) uint16 array).
"""

from __future__ import annotations

import os
import struct
from typing import Any

from PIL import Image

MODES = {"RGB;16": 3, "RGBA;16": 4}
EIGHT_BIT = {"RGB;16": "RGB", "RGBA;16": "RGBA"}


class Image16:
    """A 16-bit RGB or RGBA image: `Image16("RGB;16", (w, h), data)` with data little-endian, unpadded."""

    def __init__(self, mode: str, size: tuple[int, int], data: bytes | bytearray | memoryview,
                 info: dict[str, Any] | None = None):
        if mode not in MODES:
            raise ValueError(f"Image16 holds modes RGB;16 and RGBA;16, not {mode!r}")
        width, height = size
        expected = width * height * MODES[mode] * 2
        if width < 1 or height < 1 or len(data) != expected:
            raise ValueError(f"a {width}x{height} {mode} image needs {expected} bytes, not {len(data)}")
        self.mode = mode
        self.size = (width, height)
        self._data = data
        self.info: dict[str, Any] = dict(info or {})

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    @property
    def bands(self) -> int:
        return MODES[self.mode]

    def tobytes(self) -> bytes:
        """The little-endian rows without padding."""
        return bytes(self._data)

    def getpixel(self, xy: tuple[int, int]) -> tuple[int, ...]:
        x, y = xy
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise IndexError("image index out of range")
        start = (y * self.width + x) * self.bands * 2
        return struct.unpack_from(f"<{self.bands}H", self._data, start)

    def split(self) -> tuple[Image.Image, ...]:
        """One Pillow "I;16" image per band: exact, so Pillow's own tools apply to each channel."""
        data = bytes(self._data)
        step = self.bands * 2
        out = []
        for band in range(self.bands):
            plane = bytearray(self.width * self.height * 2)
            plane[0::2] = data[band * 2::step]
            plane[1::2] = data[band * 2 + 1::step]
            out.append(Image.frombytes("I;16", self.size, bytes(plane)))
        return tuple(out)

    @classmethod
    def merge(cls, mode: str, bands: list[Image.Image] | tuple[Image.Image, ...]) -> Image16:
        """The inverse of split(): "I;16" bands (3 or 4 of one size) into one image."""
        if mode not in MODES or len(bands) != MODES[mode] or any(b.mode != "I;16" for b in bands):
            raise ValueError(f"{mode} needs {MODES.get(mode, '?')} I;16 bands")
        size = bands[0].size
        count = len(bands)
        data = bytearray(size[0] * size[1] * count * 2)
        for index, band in enumerate(bands):
            if band.size != size:
                raise ValueError("the bands differ in size")
            plane = band.tobytes("raw", "I;16")
            data[index * 2::count * 2] = plane[0::2]
            data[index * 2 + 1::count * 2] = plane[1::2]
        return cls(mode, size, data)

    def to_8bit(self) -> Image.Image:
        """An 8-bit Pillow RGB or RGBA copy for display: each sample's high byte (x >> 8)."""
        return Image.frombytes(EIGHT_BIT[self.mode], self.size, bytes(self._data[1::2]))

    def convert(self, mode: str) -> Image.Image | Image16:
        """RGB or RGBA (8 bits: to_8bit, then Pillow's conversion), or the other 16-bit mode."""
        if mode == self.mode:
            return self.copy()
        if mode in MODES:
            return _convert16(self, mode)
        eight = self.to_8bit()
        return eight if eight.mode == mode else eight.convert(mode)

    def copy(self) -> Image16:
        return Image16(self.mode, self.size, bytes(self._data), self.info)

    @property
    def __array_interface__(self) -> dict[str, Any]:
        data = self._data if isinstance(self._data, (bytes, bytearray)) else bytes(self._data)
        return {"shape": (self.height, self.width, self.bands), "typestr": "<u2", "data": data, "version": 3}

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> None:
        """Write a 16-bit PNG or TIFF exactly (other formats cannot hold 16 bits a sample)."""
        from .files import save
        save(self, path, format)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Image16:
        """Read a 48- or 64-bit PNG or TIFF exactly (ValueError for any other file)."""
        from .files import open_exact
        image = open_exact(path)
        if image is None:
            raise ValueError(f"{os.fspath(path)} is not a 16-bit RGB or RGBA PNG or TIFF")
        return image

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Image16) and other.mode == self.mode and other.size == self.size
                and bytes(other._data) == bytes(self._data))

    __hash__ = None  # type: ignore[assignment]  # mutable in spirit, like a Pillow image

    def __repr__(self) -> str:
        return f"<imgshare.Image16 mode={self.mode} size={self.width}x{self.height}>"


def _convert16(image: Image16, mode: str) -> Image16:
    data = bytes(image.tobytes())
    pixels = image.width * image.height
    if mode == "RGBA;16":  # add an opaque alpha
        out = bytearray(pixels * 8)
        for sample in range(6):
            out[sample::8] = data[sample::6]
        out[6::8] = b"\xff" * pixels
        out[7::8] = b"\xff" * pixels
    else:  # drop alpha
        out = bytearray(pixels * 6)
        for sample in range(6):
            out[sample::6] = data[sample::8]
    return Image16(mode, image.size, out, image.info)


def swap_red_blue(data: bytearray, bands: int) -> None:
    """Exchange samples 0 and 2 of each pixel in place (BGR <-> RGB), 16 bits a sample."""
    step = bands * 2
    red_low, red_high = bytes(data[0::step]), bytes(data[1::step])
    data[0::step], data[1::step] = data[4::step], data[5::step]
    data[4::step], data[5::step] = red_low, red_high
