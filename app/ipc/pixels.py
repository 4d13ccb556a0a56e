"""Pixels between Pillow images (and Image16) and slots, with as few copies as Pillow allows, hashing
exactly what is handed over (docs/protocol.md §8.7, §10.3)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from PIL import Image

from ..image16 import Image16, swap_red_blue
from .hashing import ChecksumMismatch, Hasher, copy_rows, hash_in_chunks, hash_rows, new_hasher
from .layout import descriptor as dsc
from .layout.modes import WIDE_MODES
from .payload import Payload
from .pillowmodes import MAPPABLE, to_carried, wire_rawmode


@lru_cache(maxsize=1)
def _paste_into_mapping_works() -> bool:
    """Whether pasting into a frombuffer() image writes through to the buffer on this Pillow.

    Pillow marks mapped images read-only and copies on write; clearing that mark lets paste() write
    straight into shared memory (one copy). It is not a documented contract, so prove it here once.
    """
    try:
        target = bytearray(4)
        mapped = Image.frombuffer("L", (2, 2), _buffer(target), "raw", "L", 0, 1)
        mapped.readonly = 0
        mapped.paste(Image.frombytes("L", (2, 2), b"\x01\x02\x03\x04"))
        del mapped
        return bytes(target) == b"\x01\x02\x03\x04"
    except Exception:  # any Pillow change that breaks the trick just disables it
        return False


def _buffer(view: Any) -> Any:
    """A buffer for Pillow's frombuffer, which takes any buffer though its stubs name only bytes."""
    return view


# -- writing ---------------------------------------------------------------------------------------
SOURCE_MODE_INFO = "imgshare.source_mode"  # image.info: the file's real mode, when decoded with less


def image_payload(image: Image.Image | Image16, source_mode: str = "") -> Payload:
    """What sharing a Pillow image or an Image16 writes. source_mode (or image.info[SOURCE_MODE_INFO]):
    the file's real mode when the image was decoded with less (a 16-bit LA file Pillow read as 8 bits):
    the share then says converted and names it."""
    if isinstance(image, Image16):
        data = image.tobytes()

        def fill16(dest: memoryview, hasher: Hasher | None) -> None:
            dest[:] = data
            if hasher is not None:
                hash_in_chunks(dest, hasher)
        return Payload(image.mode, image.width, image.height, fill16, extra=transparency_fields(image))
    carried, converted = to_carried(image)
    source_mode = source_mode or str(image.info.get(SOURCE_MODE_INFO, ""))
    flags = dsc.FLAG_CONVERTED if converted or (source_mode and source_mode != carried.mode) else 0
    named = source_mode or (image.mode if converted else "")

    def fill(dest: memoryview, hasher: Hasher | None) -> None:
        write_pixels(carried, dest, hasher)
    return Payload(carried.mode, carried.width, carried.height, fill, flags, named,
                   {**palette_fields(carried), **transparency_fields(carried)})


def write_pixels(image: Image.Image, dest: memoryview, hasher: Hasher | None = None) -> None:
    """Pack a carried-mode image's pixels into dest (exactly its payload length), feeding hasher."""
    image.load()
    mode = image.mode
    if mode in MAPPABLE and _paste_into_mapping_works():
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
        bufsize = max(1 << 18, image.size[0] * 4)
        pos = 0
        while True:
            _, status, chunk = encoder.encode(bufsize)
            dest[pos:pos + len(chunk)] = chunk
            if hasher is not None:
                hasher.update(dest[pos:pos + len(chunk)])  # still in cache
            pos += len(chunk)
            if status:
                break
        if status < 0 or pos != len(dest):
            raise RuntimeError(f"raw encoder wrote {pos} of {len(dest)} bytes (status {status})")
    finally:
        encoder.cleanup()


def palette_fields(image: Image.Image) -> dict[str, Any]:
    """A P image's palette as descriptor fields (§8.3)."""
    if image.mode != "P" or image.palette is None:
        return {}
    palette_mode = image.palette.mode if image.palette.mode in ("RGB", "RGBA") else "RGB"
    palette = bytes(image.getpalette(palette_mode) or b"")[: dsc.MAX_PALETTE_BYTES]
    palette = palette[: len(palette) - len(palette) % len(palette_mode)]
    return {"palette_mode": palette_mode, "palette": palette} if palette else {}


def transparency_fields(image: Image.Image | Image16) -> dict[str, Any]:
    """The image's transparency as descriptor fields, or none when its mode cannot carry it (§8.4: a
    sender drops what it cannot carry rather than write it)."""
    t = image.info.get("transparency")
    palette_mode = palette_fields(image).get("palette_mode", "") if isinstance(image, Image.Image) else ""
    values: tuple[int, ...] = ()
    if isinstance(t, (bytes, bytearray)):
        kind, alpha = dsc.Transparency.ALPHA, bytes(t)
    elif isinstance(t, int):
        kind, values, alpha = dsc.Transparency.VALUE, (t,), b""
    elif isinstance(t, tuple) and len(t) == 3 and all(isinstance(v, int) for v in t):
        kind, values, alpha = dsc.Transparency.COLOUR, tuple(t), b""
    else:
        return {}
    if dsc.transparency_problem(image.mode, palette_mode, kind, values, len(alpha)):
        return {}
    return {"transparency_kind": kind, "transparency_values": values, "transparency_alpha": alpha}


# -- reading ---------------------------------------------------------------------------------------
def maps_payload(d: dsc.Descriptor, borrow: bool) -> bool:
    """Whether read_image(d, ..., borrow) returns an image that maps the payload instead of a copy."""
    return borrow and d.mode in MAPPABLE and not d.bgr and d.stride == d.row_bytes


def read_image(d: dsc.Descriptor, payload: memoryview, *, borrow: bool, verify: bool) -> Image.Image | Image16:
    """The image in a pinned slot's payload. A borrow may map the payload (the caller keeps the slot
    pinned and mapped while the image lives); a copy is made into private memory and, when verifying,
    hashed there, so the pixels returned are the pixels checked. Raises ChecksumMismatch."""
    if maps_payload(d, borrow):
        if verify:
            _check(d, lambda h: hash_rows(payload, d.stride, d.row_bytes, d.height, h))
        image = Image.frombuffer(d.mode, (d.width, d.height), _buffer(payload), "raw", wire_rawmode(d.mode), 0, 1)
        return _finish(image, d)
    rows = bytearray(d.row_bytes * d.height)
    hasher = new_hasher() if verify else None
    copy_rows(payload, d.stride, d.row_bytes, d.height, memoryview(rows), hasher)
    if hasher is not None and hasher.intdigest() != d.checksum:
        raise ChecksumMismatch()
    if d.mode in WIDE_MODES:
        if d.bgr:
            swap_red_blue(rows, 3 if d.mode == "RGB;16" else 4)
        return Image16(d.mode, (d.width, d.height), rows, _transparency_info(d))
    rawmode = wire_rawmode(d.mode, d.bgr)
    if d.mode in MAPPABLE and not d.bgr:
        image = Image.frombuffer(d.mode, (d.width, d.height), _buffer(rows), "raw", rawmode, 0, 1)
    else:
        image = Image.frombytes(d.mode, (d.width, d.height), bytes(rows), "raw", rawmode)
    return _finish(image, d)


def _check(d: dsc.Descriptor, feed: Any) -> None:
    hasher = new_hasher()
    feed(hasher)
    if hasher.intdigest() != d.checksum:
        raise ChecksumMismatch()


def _finish(image: Image.Image, d: dsc.Descriptor) -> Image.Image:
    if d.mode == "P" and d.palette:
        image.putpalette(d.palette, d.palette_mode)
    image.info.update(_transparency_info(d))
    return image


def _transparency_info(d: dsc.Descriptor) -> dict[str, Any]:
    if d.transparency_kind is dsc.Transparency.ALPHA:
        return {"transparency": d.transparency_alpha}
    if d.transparency_kind is dsc.Transparency.VALUE:
        return {"transparency": d.transparency_values[0]}
    if d.transparency_kind is dsc.Transparency.COLOUR:
        return {"transparency": tuple(d.transparency_values)}
    return {}
