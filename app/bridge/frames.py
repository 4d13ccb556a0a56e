"""Images as the bridge carries them: the fields imgshare's public API reports about an image (ShareInfo
and the image's palette and transparency) and its rows without padding, to and from what
Receiver.receive gives and what Sender.share takes (docs/bridge.md, "The image").

Nothing here knows the shared-memory layout: a later protocol changes what receive and share do
inside, not this. Rows are in the order the source shared them (B, G, R with `bgr`), so OpenCV's
order crosses as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..image16 import MODES as WIDE_MODES
from ..image16 import Image16, swap_red_blue
from ..ipc import ShareInfo

# mode -> (bits a pixel, Pillow raw mode of its little-endian layout: None for the 16-bit colour modes)
MODES: dict[str, tuple[int, str | None]] = {
    "1": (1, "1"), "L": (8, "L"), "LA": (16, "LA"), "P": (8, "P"), "RGB": (24, "RGB"), "RGBA": (32, "RGBA"),
    "I;16": (16, "I;16"), "I": (32, "I;32S"), "F": (32, "F;32F"), "RGB;16": (48, None), "RGBA;16": (64, None),
}
BGR_RAWMODES = {"RGB": "BGR", "RGBA": "BGRA"}
BGR_MODES = ("RGB", "RGBA", "RGB;16", "RGBA;16")  # the modes whose rows may be in OpenCV's order (bgr)
# numpy dtype and samples a pixel of the modes a relay may share as an array (faster than Pillow for RGB)
_ARRAYS = {"L": ("u1", 1), "LA": ("u1", 2), "RGB": ("u1", 3), "RGBA": ("u1", 4), "I;16": ("<u2", 1),
           "I": ("<i4", 1), "F": ("<f4", 1), "RGB;16": ("<u2", 3), "RGBA;16": ("<u2", 4)}

Transparency = int | tuple[int, int, int] | bytes | None  # one value, an RGB colour, or an alpha per index


def row_bytes(mode: str, width: int) -> int:
    return math.ceil(width * MODES[mode][0] / 8)


@dataclass(frozen=True)
class ImageMeta:
    """Everything about a shared image but its pixels, as the public API reports it."""

    width: int
    height: int
    mode: str
    epoch: int  # with the sequence, names the image on the source's host
    sequence: int
    timestamp: float  # Unix time of the share there
    source_name: str = ""
    source_mode: str = ""
    converted: bool = False
    bgr: bool = False
    stride: int = 0  # the source's row stride (its padding does not travel)
    sender_pid: int = 0
    sender_alive: bool = True
    persisted: bool = False
    palette_mode: str = ""  # mode P: "RGB" or "RGBA" ("" without a palette)
    palette: bytes = b""
    transparency: Transparency = None
    tags: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def identity(self) -> tuple[int, int]:
        return self.epoch, self.sequence

    @property
    def length(self) -> int:
        """Bytes of the rows without padding."""
        return row_bytes(self.mode, self.width) * self.height


# -- the source's side ------------------------------------------------------------------------------
def from_received(image: Image.Image | Image16, info: ShareInfo) -> tuple[ImageMeta, bytes]:
    """What Receiver.receive gave, as the bridge carries it: its description and its rows."""
    palette_mode, palette = "", b""
    if isinstance(image, Image16):
        rows = image.tobytes()
        if info.bgr:  # the receiver gave R, G, B: back to the order it was shared in
            swapped = bytearray(rows)
            swap_red_blue(swapped, image.bands)
            rows = bytes(swapped)
    else:
        raw = BGR_RAWMODES[image.mode] if info.bgr and image.mode in BGR_RAWMODES else MODES[image.mode][1]
        rows = image.tobytes("raw", raw)
        if image.mode == "P" and image.palette is not None:
            palette_mode = image.palette.mode if image.palette.mode in ("RGB", "RGBA") else "RGB"
            palette = bytes(image.getpalette(palette_mode) or b"")
            palette_mode = palette_mode if palette else ""
    transparency = image.info.get("transparency")
    if isinstance(transparency, list):
        transparency = tuple(transparency)
    meta = ImageMeta(
        width=info.width, height=info.height, mode=info.mode, epoch=info.epoch, sequence=info.sequence,
        timestamp=info.timestamp, source_name=info.source_name,
        source_mode=info.source_mode if info.converted else "", converted=info.converted, bgr=info.bgr,
        stride=info.stride, sender_pid=info.sender_pid, sender_alive=info.sender_alive, persisted=info.persisted,
        palette_mode=palette_mode, palette=palette,
        transparency=transparency if isinstance(transparency, (int, tuple, bytes)) else None, tags=info.tags)
    return meta, rows


# -- the pulling side -------------------------------------------------------------------------------
def to_image(meta: ImageMeta, rows: Any) -> Image.Image | Image16:
    """The image the rows hold, with its palette and transparency, as Receiver.receive would give it
    (R, G, B order); a copy, so the network buffer may be reused."""
    info = {} if meta.transparency is None else {"transparency": meta.transparency}
    if meta.mode in WIDE_MODES:
        data = bytearray(rows)
        if meta.bgr:
            swap_red_blue(data, WIDE_MODES[meta.mode])
        return Image16(meta.mode, (meta.width, meta.height), data, info)
    raw = BGR_RAWMODES[meta.mode] if meta.bgr and meta.mode in BGR_RAWMODES else MODES[meta.mode][1]
    image = Image.frombytes(meta.mode, (meta.width, meta.height), bytes(rows), "raw", raw)
    if meta.palette:
        image.putpalette(meta.palette, meta.palette_mode or "RGB")
    image.info.update(info)
    return image


def shareable(meta: ImageMeta, rows: Any) -> tuple[Any, str | None]:
    """(what to hand Sender.share, its channels=) to share the image again exactly: a numpy array over
    the rows where that loses nothing (no palette, transparency or conversion to tell; numpy installed),
    which is also how OpenCV's order keeps its flag; else an image as to_image makes it."""
    plain = not meta.palette and meta.transparency is None and not meta.converted
    if plain and meta.mode in _ARRAYS:
        try:
            import numpy
        except ImportError:
            numpy = None  # type: ignore[assignment]  # numpy is optional: Pillow's way below
        if numpy is not None:
            dtype, samples = _ARRAYS[meta.mode]
            shape = (meta.height, meta.width) + ((samples,) if samples > 1 else ())
            array = numpy.frombuffer(rows, dtype=dtype).reshape(shape)
            return array, ("BGR" if samples == 3 else "BGRA") if meta.bgr else None
    return to_image(meta, rows), None


def remote_info(meta: ImageMeta, source: str, length: int) -> ShareInfo:
    """The ShareInfo of an image pulled from source (the address as typed) and shown, not shared here:
    the far sender's facts; no System V key or segment (0)."""
    return ShareInfo(key=source, sysv_key=0, sequence=meta.sequence, width=meta.width, height=meta.height,
                     mode=meta.mode, source_mode=meta.source_mode or meta.mode, converted=meta.converted,
                     source_name=meta.source_name, sender_pid=meta.sender_pid, sender_alive=meta.sender_alive,
                     persisted=meta.persisted, timestamp=meta.timestamp, stride=meta.stride or row_bytes(
                         meta.mode, meta.width), payload_length=length, checksum="none", segment_id=0,
                     segment_size=0, bgr=meta.bgr, epoch=meta.epoch, tags=dict(meta.tags))
