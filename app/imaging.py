"""Pillow only: open image files safely, save received images losslessly. No Tk, no IPC."""

from __future__ import annotations

import contextlib
import enum
import io
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from .image16 import Image16
from .image16.files import open_exact, reduced_mode_of, wide_mode_of
from .ipc.errors import ImageError, TooLargeError
from .ipc.pixels import SOURCE_MODE_INFO

# imgshare's own cap on an image's area, checked on the header before any pixel is decoded, whatever
# PIL.Image.MAX_IMAGE_PIXELS says: that global belongs to the program (a library user may have set
# it), so imgshare never changes it. Allows a 7680x4320 image with room to spare (and 65536 x 2048).
MAX_PIXELS = 8192 * 8192 * 2

# Standard input is read into memory before decoding; a bound keeps a runaway pipe from eating it all.
MAX_INPUT_BYTES = 1 << 30

LOSSLESS_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})

# Formats whose files do not keep the pixels exactly (Pillow writes JPEG and WebP lossy by default).
LOSSY_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".jp2", ".j2k", ".jpx", ".jpc"})


class NotRegularFileError(ImageError):
    """A pipe, socket or device was named as an image file: reading it could block forever."""


class Fidelity(enum.Enum):
    """What a saved file keeps of the image."""

    EXACT = "exact"  # every pixel as it was
    LOSSY = "lossy"  # a lossy format: the pixels read back differ


ImageSource = str | os.PathLike | BinaryIO
SOURCE_MODE = SOURCE_MODE_INFO  # in image.info: the file's real mode, when it was decoded with less


def load_image(source: ImageSource, *, name: str | None = None) -> Image.Image | Image16:
    """Open and fully decode an image file (a path, or an open binary file such as standard input's
    bytes), upright per its EXIF orientation. A 48- or 64-bit PNG or TIFF comes exactly, as an Image16.

    Raises ImageError with one plain sentence for a missing, unreadable, truncated, non-regular or
    non-image file, and TooLargeError for a decompression bomb.
    """
    with opened_image(source, name=name) as opened:
        return decoded(opened, source)


def decoded(opened: Image.Image, source: ImageSource) -> Image.Image | Image16:
    """The image in an opened file: 16-bit colour exactly (Pillow alone would keep 8 bits), anything
    else through Pillow; an image Pillow had to decode with fewer bits says so in its info."""
    if wide_mode_of(opened) is not None:
        exact = open_exact(source)
        if exact is not None:
            return exact
    reduced = reduced_mode_of(opened)
    image = finish_frame(opened)
    if reduced:
        image.info[SOURCE_MODE] = reduced
    return image


def finish_frame(opened: Image.Image) -> Image.Image:
    """The current frame of an opened image, decoded, upright, detached from the file."""
    opened.load()
    image = ImageOps.exif_transpose(opened) if _has_rotation(opened) else opened.copy()
    image.info.update({k: v for k, v in opened.info.items() if k == "transparency"})
    return image


@contextlib.contextmanager
def opened_image(source: ImageSource, *, name: str | None = None) -> Iterator[Image.Image]:
    """Image.open on a regular file or a binary stream, with every failure in the body turned into
    ImageError / TooLargeError naming the file. A pipe or device path is refused, never read (it
    could block forever): read it through standard input instead."""
    shown = name or _shown(source)
    try:
        with contextlib.ExitStack() as stack:
            fp = source if hasattr(source, "read") else stack.enter_context(_open_regular(source, shown))
            with Image.open(fp) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise TooLargeError(f"{shown}: the image is {width}x{height}, too many pixels to open "
                                        "safely (a decompression bomb?)")
                yield opened
    except FileNotFoundError:
        raise ImageError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{shown}: is a folder, not an image file") from None
    except PermissionError:
        raise ImageError(f"{shown}: permission denied") from None
    except Image.DecompressionBombError:  # above the program's own PIL limit, if it set a lower one
        raise TooLargeError(f"{shown}: the image has too many pixels to open safely "
                            "(a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{shown}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{shown}: the image is damaged or truncated ({_short(exc)})") from None
    except MemoryError:
        raise TooLargeError(f"{shown}: not enough memory to decode this image") from None


def _shown(source: ImageSource) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "") or "standard input")
    name = os.fspath(source)
    return os.path.basename(name) or name


def _open_regular(path: str | os.PathLike, shown: str) -> BinaryIO:
    """Open path for reading without blocking, and only if it is a regular file."""
    fd = os.open(os.fspath(path), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"{shown}: not a regular file (a pipe, socket or device); "
                                      "imgshare opens image files only")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input(stream: BinaryIO, limit: int = MAX_INPUT_BYTES) -> io.BytesIO:
    """All of stream (standard input) in memory, refusing more than limit bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(f"standard input holds more than {limit >> 20} MB; imgshare reads at most that")
    if not data:
        raise ImageError("standard input is empty; pipe an image file into it")
    return io.BytesIO(data)


def _has_rotation(image: Image.Image) -> bool:
    try:
        return image.getexif().get(0x0112, 1) not in (1, None)
    except Exception:
        return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def save_image(image: Image.Image | Image16, path: str | os.PathLike) -> Fidelity:
    """Write image to path in the format its extension names; returns whether the file keeps every
    pixel (a lossy format such as JPEG or WebP does not).

    PNG keeps 1, L, LA, P, RGB, RGBA, I;16, RGB;16 and RGBA;16 exactly; TIFF also keeps I and F. Other
    formats are written as Pillow can, and an image mode they cannot hold is an ImageError naming a
    format that can.
    """
    name = os.fspath(path)
    ext = os.path.splitext(name)[1].lower()
    if isinstance(image, Image16):
        if ext not in (".png", ".tif", ".tiff"):
            raise ImageError(f"cannot write {name}: {ext or 'that format'} cannot hold {image.mode} "
                             "(16 bits a sample); save as .png or .tif")
        try:
            image.save(name)
        except OSError as exc:
            raise ImageError(f"cannot write {name}: {_short(exc)}") from None
        return Fidelity.EXACT
    if ext == ".png" and image.mode not in LOSSLESS_PNG_MODES:
        raise ImageError(f"PNG cannot hold mode {image.mode} exactly; save as .tif instead")
    kwargs = {}
    if ext in (".tif", ".tiff"):
        kwargs["compression"] = "tiff_deflate"
    if "transparency" in image.info and ext == ".png":
        kwargs["transparency"] = image.info["transparency"]
    try:
        image.save(name, **kwargs)
    except (KeyError, ValueError) as exc:
        raise ImageError(f"cannot write {os.path.basename(name)}: unknown or unsuitable format "
                         f"({_short(exc)}); use .png or .tif") from None
    except OSError as exc:
        raise ImageError(f"cannot write {os.path.basename(name)}: {_short(exc)}") from None
    return Fidelity.LOSSY if ext in LOSSY_EXTENSIONS else Fidelity.EXACT


def lossless_extension(mode: str) -> str:
    """The extension of a file that keeps an image of this mode exactly."""
    return ".png" if mode in LOSSLESS_PNG_MODES or mode in ("RGB;16", "RGBA;16") else ".tif"


def open_formats() -> list[tuple[str, str]]:
    """(description, pattern list) pairs of the formats Pillow can open, for file dialogs."""
    Image.init()
    by_format: dict[str, list[str]] = {}
    for ext, fmt in Image.registered_extensions().items():
        if fmt in Image.OPEN:
            by_format.setdefault(fmt, []).append("*" + ext)
    every = sorted({p for pats in by_format.values() for p in pats})
    return [("Images", " ".join(every))] + [(fmt, " ".join(sorted(p))) for fmt, p in sorted(by_format.items())]
