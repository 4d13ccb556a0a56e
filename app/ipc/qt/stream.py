"""QImage as QDataStream writes it (`out << image`) and reads it (`in >> image`), with Pillow.

Qt's src/gui/image/qimage.cpp: operator<< writes, for stream version >= 5 (every Qt since 3; Qt 6
defaults to 20+), a big-endian qint32 1 and then a PNG file (a null image is the qint32 0 alone);
version 1 streams hold a BMP file and versions 2-4 a PNG file, both without the marker.
operator>> reads the marker (version >= 5) and hands the rest to QImageReader with no format, which
detects it from the content. So a reader meets: marker + PNG (what every current Qt writes), bare PNG
or BMP (old stream versions), or marker + another format QImageReader detects. We accept those
formats that Qt itself reads (qtbase's built-in handlers and plugins, and qtimageformats' TIFF and
WebP) and Pillow decodes; anything else is refused as foreign, and a recognised stream that fails to
decode is corrupt.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, PngImagePlugin

from ..errors import CorruptSegmentError, ForeignSegmentError
from ..pillowmodes import LOSSLESS_TARGET, has_alpha

MARKER_IMAGE = b"\x00\x00\x00\x01"
NULL_STREAM = b"\x00\x00\x00\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SOURCE_TEXT_KEY = "imgshare.source"  # an iTXt chunk Qt keeps as QImage::text(); harmless to Qt
KEY_TEXT_KEY = "imgshare.key"  # the key string, so a listing can name the key (Qt's files hold only a hash)

# Modes a PNG file holds without loss (Pillow writes and reads them back unchanged).
PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})

# (signature, Pillow format) of what may follow the marker; QImageReader detects each by content.
_SIGNATURES = (
    (PNG_SIGNATURE, "PNG"), (b"BM", "BMP"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"), (b"/* XPM */", "XPM"), (b"#define", "XBM"),
)


def sniff(data: bytes) -> str | None:
    """The Pillow format name of the image file that data starts with, or None."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if len(data) >= 3 and data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
        return "PPM"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def locate(data: bytes) -> tuple[int, str] | None:
    """(offset of the image file, its format) in a QDataStream'ed QImage; None for a null image.

    Raises ForeignSegmentError if data is not a QImage stream at all.
    """
    head = bytes(data[:16])
    if head.startswith(PNG_SIGNATURE):
        return 0, "PNG"  # stream version 2-4: no marker
    if head.startswith(b"BM") and _plausible_bmp(head):
        return 0, "BMP"  # stream version 1: no marker
    if len(head) < 4:
        raise ForeignSegmentError("too short to hold a QImage stream")
    if head[:4] == NULL_STREAM:
        return None
    fmt = sniff(head[4:])  # Qt reads any non-zero marker as "an image follows"
    if fmt is None:
        raise ForeignSegmentError("it does not hold a QImage stream (no image after the marker)")
    return 4, fmt


def _plausible_bmp(head: bytes) -> bool:
    """A BMP file header: a size field and a known DIB header size (12, 40, 52, 56, 64, 108, 124)."""
    return len(head) >= 15 and int.from_bytes(head[14:15], "little") in (12, 40, 52, 56, 64, 108, 124)


def _open(data: bytes, offset: int, fmt: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data[offset:]), formats=[fmt])


def decode(data: bytes) -> tuple[Image.Image | None, str]:
    """(decoded image, format) of a QImage stream; (None, "") for a null image.

    ForeignSegmentError if data is no QImage stream; CorruptSegmentError if it is one that fails to decode.
    """
    found = locate(data)
    if found is None:
        return None, ""
    offset, fmt = found
    try:
        image = _open(data, offset, fmt)
        image.load()
    except Exception as exc:  # a damaged file may raise nearly anything from a decoder
        raise CorruptSegmentError(f"its {fmt} image does not decode ({exc.__class__.__name__}: {exc})") from None
    return image, fmt


def peek(data: bytes) -> tuple[Image.Image | None, str]:
    """Like decode, but the image is only opened (size, mode and text known, pixels not decoded)."""
    found = locate(data)
    if found is None:
        return None, ""
    offset, fmt = found
    try:
        return _open(data, offset, fmt), fmt
    except Exception as exc:
        raise CorruptSegmentError(f"its {fmt} image does not open ({exc.__class__.__name__}: {exc})") from None


def source_name_of(image: Image.Image) -> str:
    """The source name an imgshare sender stored in the PNG, or ""."""
    value = image.info.get(SOURCE_TEXT_KEY, "")
    return str(value)


def key_of(image: Image.Image) -> str:
    """The key string an imgshare sender stored in the PNG, or "" (a listing checks it against the file)."""
    return str(image.info.get(KEY_TEXT_KEY, ""))


def png_mode_image(image: Image.Image) -> tuple[Image.Image, bool]:
    """The image in a mode PNG holds without loss, and whether it had to be converted."""
    if image.mode in PNG_MODES:
        return image, False
    target = LOSSLESS_TARGET.get(image.mode) or ("RGBA" if has_alpha(image.mode) else "RGB")
    if target not in PNG_MODES:
        target = "RGBA" if has_alpha(image.mode) else "RGB"
    if target == "I;16":
        return image.convert("I").convert("I;16"), True  # exact through 32-bit "I" (see modes.py)
    return image.convert(target), True


def encode(image: Image.Image, source_name: str = "", compress_level: int = 1, key: str = "") -> tuple[bytes, bool]:
    """`out << image` for a current QDataStream: marker 1 + PNG; returns (stream, converted).

    compress_level is zlib's (0-9): 1 is several times faster than Qt's default at 4K and any level
    decodes the same.
    """
    carried, converted = png_mode_image(image)
    info = PngImagePlugin.PngInfo()
    if source_name:
        info.add_itxt(SOURCE_TEXT_KEY, source_name)
    if key:
        info.add_itxt(KEY_TEXT_KEY, key)
    out = io.BytesIO()
    out.write(MARKER_IMAGE)
    carried.save(out, "PNG", compress_level=compress_level, pnginfo=info)
    return out.getvalue(), converted
