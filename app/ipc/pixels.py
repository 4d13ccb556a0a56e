"""Raw pixels between Pillow images and segment memory, with as few copies as Pillow allows."""

from __future__ import annotations

import sys
from functools import lru_cache

from PIL import Image

from . import header as hdr
from .modes import row_bytes, wire_rawmode

# Modes whose wire layout Pillow can map in place (Image.frombuffer without a copy) on this host.
_MAPPABLE = {"L", "P", "RGBA"} | ({"I;16"} if sys.byteorder == "little" else set())
_ENCODE_CHUNK = 1 << 18  # bytes per encoder call: small enough to stay in cache on its way through


@lru_cache(maxsize=1)
def _paste_into_mapping_works() -> bool:
    """Whether pasting into a frombuffer() image writes through to the buffer on this Pillow.

    Pillow marks mapped images read-only and copies on write; clearing that mark lets paste() write
    straight into shared memory (one copy). It is not a documented contract, so prove it here once.
    """
    try:
        target = bytearray(4)
        mapped = Image.frombuffer("L", (2, 2), target, "raw", "L", 0, 1)
        mapped.readonly = 0
        mapped.paste(Image.frombytes("L", (2, 2), b"\x01\x02\x03\x04"))
        del mapped
        return bytes(target) == b"\x01\x02\x03\x04"
    except Exception:  # any Pillow change that breaks the trick just disables it
        return False


def payload_length(mode: str, size: tuple[int, int]) -> tuple[int, int]:
    """(stride, payload length) of an unpadded image of this mode and size."""
    stride = row_bytes(mode, size[0])
    return stride, stride * size[1]


def write_pixels(image: Image.Image, dest: memoryview) -> None:
    """Pack a carried-mode image's pixels into dest, which is exactly its payload length."""
    image.load()
    mode = image.mode
    if mode in _MAPPABLE and _paste_into_mapping_works():
        mapped = Image.frombuffer(mode, image.size, dest, "raw", wire_rawmode(mode), 0, 1)
        mapped.readonly = 0
        try:
            mapped.paste(image, (0, 0))
        finally:
            del mapped  # drop the buffer export before anyone detaches the segment
        return
    _encode_into(image, dest)


def _encode_into(image: Image.Image, dest: memoryview) -> None:
    rawmode = wire_rawmode(image.mode)
    try:
        encoder = Image._getencoder(image.mode, "raw", (rawmode, 0, 1))
    except AttributeError:  # a Pillow without the encoder hook: one extra copy, same bytes
        dest[:] = image.tobytes("raw", rawmode)
        return
    try:
        encoder.setimage(image.im, (0, 0, *image.size))
        bufsize = max(_ENCODE_CHUNK, image.size[0] * 4)
        pos = 0
        while True:
            _, status, chunk = encoder.encode(bufsize)
            dest[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
            if status:
                break
        if status < 0 or pos != len(dest):
            raise RuntimeError(f"raw encoder wrote {pos} of {len(dest)} bytes (status {status})")
    finally:
        encoder.cleanup()


def read_pixels(h: hdr.Header, source: memoryview, borrow: bool) -> Image.Image:
    """An image of the payload in source; with borrow, it may map source instead of copying it.

    A borrowed image keeps a buffer export of source alive: the caller must not detach the segment
    while it exists (Segment.release_views() checks this).
    """
    image = Image.frombuffer(h.mode, (h.width, h.height), source, "raw", wire_rawmode(h.mode),
                             h.stride, 1)
    if not borrow and h.mode in _MAPPABLE:
        image = image.copy()  # the mapping (and its hold on the segment) goes with the old object
    if h.mode == "P" and h.palette:
        image.putpalette(h.palette, h.palette_mode)
    apply_transparency(image, h)
    return image


def palette_fields(image: Image.Image) -> dict:
    """The header fields that carry a P image's palette and any image's transparency."""
    fields: dict = {}
    if image.mode == "P" and image.palette is not None:
        palette_mode = image.palette.mode if image.palette.mode in ("RGB", "RGBA") else "RGB"
        palette = bytes(image.getpalette(palette_mode) or b"")
        if palette:
            fields.update(palette_mode=palette_mode, palette=palette)
    t = image.info.get("transparency")
    if isinstance(t, (bytes, bytearray)) and image.mode == "P":
        fields.update(transparency_kind=hdr.TRANSPARENCY_ALPHA,
                      transparency_alpha=bytes(t[: hdr.MAX_ALPHA_BYTES]))
    elif isinstance(t, int) and image.mode in ("P", "L", "1", "I;16", "I") and 0 <= t < 2**32:
        fields.update(transparency_kind=hdr.TRANSPARENCY_VALUE, transparency_values=(t,))
    elif (isinstance(t, tuple) and image.mode == "RGB" and 1 <= len(t) <= 4
          and all(isinstance(v, int) and 0 <= v < 2**32 for v in t)):
        fields.update(transparency_kind=hdr.TRANSPARENCY_COLOUR, transparency_values=tuple(t))
    return fields


def apply_transparency(image: Image.Image, h: hdr.Header) -> None:
    if h.transparency_kind == hdr.TRANSPARENCY_ALPHA:
        image.info["transparency"] = h.transparency_alpha
    elif h.transparency_kind == hdr.TRANSPARENCY_VALUE:
        image.info["transparency"] = h.transparency_values[0]
    elif h.transparency_kind == hdr.TRANSPARENCY_COLOUR:
        image.info["transparency"] = tuple(h.transparency_values)
