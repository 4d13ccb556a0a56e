"""Raw pixels between Pillow images and segment memory, with as few copies as Pillow allows."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Protocol

from PIL import Image

from . import header as hdr
from .modes import row_bytes, wire_rawmode

HASH_CHUNK = 1 << 18  # bytes hashed at a time right after they were copied, while still in cache


class Hasher(Protocol):
    """What a streaming checksum offers (xxhash.xxh3_64)."""

    def update(self, data: Any) -> None: ...

    def intdigest(self) -> int: ...


# Modes whose wire layout Pillow can map in place (Image.frombuffer without a copy) on this host.
_MAPPABLE = {"L", "P", "RGBA"} | ({"I;16"} if sys.byteorder == "little" else set())


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


def _buffer(view: memoryview) -> Any:
    """A memoryview for Pillow's frombuffer, which takes any buffer though its stubs name only bytes."""
    return view


def payload_length(mode: str, size: tuple[int, int]) -> tuple[int, int]:
    """(stride, payload length) of an unpadded image of this mode and size."""
    stride = row_bytes(mode, size[0])
    return stride, stride * size[1]


def write_pixels(image: Image.Image, dest: memoryview, hasher: Hasher | None = None) -> None:
    """Pack a carried-mode image's pixels into dest, which is exactly its payload length, feeding the
    bytes written to hasher (if any)."""
    image.load()
    mode = image.mode
    if mode in _MAPPABLE and _paste_into_mapping_works():
        mapped = Image.frombuffer(mode, image.size, _buffer(dest), "raw", wire_rawmode(mode), 0, 1)
        mapped.readonly = 0
        try:
            mapped.paste(image, (0, 0))
        finally:
            del mapped  # drop the buffer export before anyone detaches the segment
        if hasher is not None:
            hash_in_chunks(dest, hasher)
        return
    _encode_into(image, dest, hasher)


def hash_in_chunks(data: memoryview, hasher: Hasher) -> None:
    """Feed data to hasher a cache-sized chunk at a time."""
    for start in range(0, len(data), HASH_CHUNK):
        hasher.update(data[start:start + HASH_CHUNK])


def _encode_into(image: Image.Image, dest: memoryview, hasher: Hasher | None) -> None:
    rawmode = wire_rawmode(image.mode)
    try:
        encoder = Image._getencoder(image.mode, "raw", (rawmode, 0, 1))
    except AttributeError:  # a Pillow without the encoder hook: one extra copy, same bytes
        dest[:] = image.tobytes("raw", rawmode)
        if hasher is not None:
            hash_in_chunks(dest, hasher)
        return
    try:
        encoder.setimage(image.im, (0, 0, *image.size))
        bufsize = max(HASH_CHUNK, image.size[0] * 4)
        pos = 0
        while True:
            _, status, chunk = encoder.encode(bufsize)
            dest[pos:pos + len(chunk)] = chunk
            if hasher is not None:
                hasher.update(chunk)  # still in cache
            pos += len(chunk)
            if status:
                break
        if status < 0 or pos != len(dest):
            raise RuntimeError(f"raw encoder wrote {pos} of {len(dest)} bytes (status {status})")
    finally:
        encoder.cleanup()


def maps_payload(h: hdr.Header, borrow: bool) -> bool:
    """Whether read_pixels(h, ..., borrow) returns an image that maps the payload instead of a copy."""
    return borrow and h.mode in _MAPPABLE and not h.bgr


def read_pixels(h: hdr.Header, source: memoryview, borrow: bool) -> Image.Image:
    """An image of the payload in source; with borrow, it may map source instead of copying it.

    A borrowed image keeps a buffer export of source alive: the caller must not detach the segment
    while it exists (Segment.release_views() checks this).
    """
    if h.bgr:  # OpenCV's order: Pillow's raw decoder swaps it while copying (so never a borrow)
        return Image.frombuffer(h.mode, (h.width, h.height), _buffer(source), "raw",
                                "BGR" if h.mode == "RGB" else "BGRA", h.stride, 1)
    image = Image.frombuffer(h.mode, (h.width, h.height), _buffer(source), "raw", wire_rawmode(h.mode),
                             h.stride, 1)
    if not borrow and h.mode in _MAPPABLE:
        image = image.copy()  # the mapping (and its hold on the segment) goes with the old object
    if h.mode == "P" and h.palette:
        image.putpalette(h.palette, h.palette_mode)
    apply_transparency(image, h)
    return image


def palette_fields(image: Image.Image) -> dict[str, Any]:
    """The descriptor fields that carry a P image's palette and any image's transparency.

    Transparency a mode cannot carry (docs/protocol.md, section 3.2) is dropped here rather than
    written into a descriptor that readers would refuse.
    """
    fields: dict[str, Any] = {}
    if image.mode == "P" and image.palette is not None:
        palette_mode = image.palette.mode if image.palette.mode in ("RGB", "RGBA") else "RGB"
        palette = bytes(image.getpalette(palette_mode) or b"")[: hdr.MAX_PALETTE_BYTES]
        palette = palette[: len(palette) - len(palette) % len(palette_mode)]
        if palette:
            fields.update(palette_mode=palette_mode, palette=palette)
    t = image.info.get("transparency")
    if isinstance(t, (bytes, bytearray)):
        candidate: tuple[hdr.Transparency, tuple[int, ...], bytes] = (hdr.Transparency.ALPHA, (), bytes(t))
    elif isinstance(t, int):
        candidate = (hdr.Transparency.VALUE, (t,), b"")
    elif isinstance(t, tuple) and all(isinstance(v, int) for v in t):
        candidate = (hdr.Transparency.COLOUR, tuple(t), b"")
    else:
        return fields
    kind, values, alpha = candidate
    if hdr.transparency_allowed(image.mode, kind, values, alpha):
        fields.update(transparency_kind=kind, transparency_values=values, transparency_alpha=alpha)
    return fields


def apply_transparency(image: Image.Image, h: hdr.Header) -> None:
    if h.transparency_kind is hdr.Transparency.ALPHA:
        image.info["transparency"] = h.transparency_alpha
    elif h.transparency_kind is hdr.Transparency.VALUE:
        image.info["transparency"] = h.transparency_values[0]
    elif h.transparency_kind is hdr.Transparency.COLOUR:
        image.info["transparency"] = tuple(h.transparency_values)
