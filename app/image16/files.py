"""Exact 16-bit RGB and RGBA files: PNG and TIFF read through Pillow's own decoders, written here.

Pillow decodes a 48- or 64-bit PNG or TIFF to 8 bits a sample, keeping each sample's high byte. Its
unpackers can just as well keep the low byte (the raw mode of the other byte order), so the file is
decoded twice and the two halves interleaved with slice assignment: exact, with no other decoder.
Writing is done here: a PNG is IHDR, one IDAT (zlib) and IEND; a TIFF one uncompressed strip.
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from typing import IO, Any

from PIL import Image

from . import MODES, Image16

# Pillow raw mode of a 16-bit colour layout -> the raw mode that unpacks the other byte of each sample.
_OTHER_BYTE = {"16B": "16L", "16L": "16B", "16N": "16B" if sys.byteorder == "little" else "16L"}
_WIDE_RAWMODES = {f"{base};{order}": mode for base, mode in (("RGB", "RGB;16"), ("RGBA", "RGBA;16"),
                                                              ("RGBX", "RGB;16"))
                  for order in ("16B", "16L", "16N")}


def _rawmode(tile: Any) -> str | None:
    args = tile.args if hasattr(tile, "args") else tile[3]
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return None


def _with_rawmode(tile: Any, rawmode: str) -> Any:
    args = tile.args if hasattr(tile, "args") else tile[3]
    new_args = rawmode if isinstance(args, str) else (rawmode, *args[1:])
    return tile._replace(args=new_args) if hasattr(tile, "_replace") else (*tile[:3], new_args)


def wide_mode_of(image: Any) -> str | None:
    """RGB;16 or RGBA;16 when Pillow is about to decode a 16-bit colour PNG or TIFF to 8 bits, else None."""
    if image.format not in ("PNG", "TIFF") or not image.tile:
        return None
    modes = {_WIDE_RAWMODES.get(_rawmode(tile) or "") for tile in image.tile}
    return modes.pop() if len(modes) == 1 else None


def reduced_mode_of(image: Any) -> str | None:
    """The mode a file really holds when Pillow is about to decode it with fewer bits (16-bit grey with
    alpha, RGB or RGBA decoded to 8 bits: 'LA;16', 'RGB;16', 'RGBA;16'), else None."""
    if not image.tile or image.mode not in ("LA", "RGB", "RGBA"):
        return None
    for tile in image.tile:
        rawmode = _rawmode(tile) or ""
        base, _, depth = rawmode.partition(";")
        if depth.startswith("16"):
            return f"{'RGB' if base == 'RGBX' else base};16"
    return None


def open_exact(source: str | os.PathLike[str] | IO[bytes]) -> Image16 | None:
    """The 16-bit colour image in a PNG or TIFF (a path, or a seekable binary file), exactly; None when
    the file is not one this reads (Pillow decodes it some other way: planes, premultiplied alpha...)."""
    def reopen() -> Any:
        if hasattr(source, "seek"):
            source.seek(0)
        return Image.open(source)
    with reopen() as high:
        mode = wide_mode_of(high)
        if mode is None:
            return None
        tiles = list(high.tile)
        high.load()
        with reopen() as low:
            if list(low.tile) != tiles:
                return None
            low.tile = [_with_rawmode(t, (_rawmode(t) or "")[:-3] + _OTHER_BYTE[(_rawmode(t) or "")[-3:]])
                        for t in tiles]
            low.load()
            eight = high.mode  # RGB or RGBA
            high_bytes = high.tobytes("raw", eight)
            low_bytes = low.tobytes("raw", eight)
        info = {k: v for k, v in high.info.items() if k in ("transparency", "dpi", "icc_profile")}
    data = bytearray(len(high_bytes) * 2)
    data[0::2] = low_bytes
    data[1::2] = high_bytes
    if eight == "RGB" and mode == "RGBA;16":  # cannot happen: Pillow decodes RGBA;16 to RGBA
        return None
    return Image16(mode, high.size, data, info)


def save(image: Image16, path: str | os.PathLike[str], format: str | None = None) -> None:
    """Write image to a PNG or a TIFF (chosen by format, else by the file's extension)."""
    kind = (format or os.path.splitext(os.fspath(path))[1].lstrip(".")).upper()
    if kind == "PNG":
        data = png_bytes(image)
    elif kind in ("TIF", "TIFF"):
        data = tiff_bytes(image)
    else:
        raise ValueError(f"{kind or 'this format'} cannot hold 16 bits a sample; use PNG or TIFF")
    with open(path, "wb") as f:
        f.write(data)


def _big_endian(data: bytes) -> bytearray:
    swapped = bytearray(len(data))
    swapped[0::2] = data[1::2]
    swapped[1::2] = data[0::2]
    return swapped


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(image: Image16) -> bytes:
    """A PNG of bit depth 16, colour type 2 (RGB) or 6 (RGBA), filter 0 on every row."""
    width, height = image.size
    colour_type = 2 if image.mode == "RGB;16" else 6
    rows = _big_endian(image.tobytes())
    stride = width * MODES[image.mode] * 2
    compressor = zlib.compressobj(6)
    parts = []
    for y in range(height):
        parts.append(compressor.compress(b"\0" + rows[y * stride:(y + 1) * stride]))
    parts.append(compressor.flush())
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    transparency = image.info.get("transparency")
    if colour_type == 2 and isinstance(transparency, tuple) and len(transparency) == 3:
        chunks.append(_chunk(b"tRNS", struct.pack(">3H", *transparency)))
    chunks.append(_chunk(b"IDAT", b"".join(parts)))
    chunks.append(_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def tiff_bytes(image: Image16) -> bytes:
    """A little-endian baseline TIFF: one uncompressed strip, unassociated alpha for RGBA;16."""
    width, height = image.size
    samples = MODES[image.mode]
    pixels = image.tobytes()
    if len(pixels) > 0xFFFFFFFF - 4096:
        raise ValueError("the image is too large for a TIFF (4 GB); use PNG")
    entries: list[tuple[int, int, int, int]] = []  # tag, type (3 SHORT, 4 LONG), count, value/offset
    count = 10 + (1 if samples == 4 else 0)
    ifd_size = 2 + 12 * count + 4
    bits_offset = 8 + ifd_size
    data_offset = bits_offset + 2 * samples
    entries += [(256, 4, 1, width), (257, 4, 1, height), (258, 3, samples, bits_offset), (259, 3, 1, 1),
                (262, 3, 1, 2), (273, 4, 1, data_offset), (277, 3, 1, samples), (278, 4, 1, height),
                (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    if samples == 4:
        entries.append((338, 3, 1, 2))  # ExtraSamples: unassociated alpha
    out = bytearray(b"II" + struct.pack("<HI", 42, 8))
    out += struct.pack("<H", len(entries))
    for tag, kind, number, value in entries:
        if kind == 3 and number == 1:
            out += struct.pack("<HHIHH", tag, kind, number, value, 0)
        else:
            out += struct.pack("<HHII", tag, kind, number, value)
    out += struct.pack("<I", 0)
    out += struct.pack(f"<{samples}H", *([16] * samples))
    assert len(out) == data_offset
    return bytes(out) + pixels
