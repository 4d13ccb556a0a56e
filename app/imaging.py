"""Pillow only: open image files safely, save received images losslessly. No Tk, no IPC."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from .fidelity import (
    TABLE,
    Fidelity,
    Verdict,
    exact_extension,
    format_for_extension,
    format_for_name,
    judge,
    unsupported,
    written_formats,
)
from .image16 import Image16
from .image16.files import open_exact, png_bytes, reduced_mode_of, tiff_bytes, wide_mode_of
from .ipc.errors import ImageError, TooLargeError
from .ipc.pixels import SOURCE_MODE_INFO
from .oserrors import plain_reason

# imgshare's own cap on an image's area, checked on the header before any pixel is decoded, whatever
# PIL.Image.MAX_IMAGE_PIXELS says: that global belongs to the program (a library user may have set
# it), so imgshare never changes it. Allows a 7680x4320 image with room to spare (and 65536 x 2048).
MAX_PIXELS = 8192 * 8192 * 2

# Standard input is read into memory before decoding; a bound keeps a runaway pipe from eating it all.
MAX_INPUT_BYTES = 1 << 30

# The modes a PNG file keeps exactly (the clipboard offers PNG).
LOSSLESS_PNG_MODES = frozenset(mode for mode, entry in TABLE["PNG"].cells.items() if entry.fidelity is Fidelity.EXACT)


class NotRegularFileError(ImageError):
    """A pipe, socket or device was named as an image file: reading it could block forever."""


ImageSource = str | os.PathLike[str] | BinaryIO
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
    except OSError as exc:
        if exc.errno is not None:  # the system failed to read it (EIO, ...), not a damaged image
            raise ImageError(f"{shown}: cannot be read: {plain_reason(exc)}") from None
        raise ImageError(f"{shown}: the image is damaged or truncated ({_short(exc)})") from None
    except (SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{shown}: the image is damaged or truncated ({_short(exc)})") from None
    except MemoryError:
        raise TooLargeError(f"{shown}: not enough memory to decode this image") from None


def _shown(source: ImageSource) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "") or "standard input")
    return os.fspath(source)  # as the user typed it: a sentence must name the file they meant


def _open_regular(path: str | os.PathLike[str], shown: str) -> BinaryIO:
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
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise ImageError(f"cannot read standard input: {plain_reason(exc)}") from None
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


def save_image(image: Image.Image | Image16, target: str | os.PathLike[str] | BinaryIO, *, format: str | None = None,
               shown: str | None = None) -> Verdict:
    """Write image to target (a path, or a binary stream such as standard output) as the format names
    (for a path, by default the one its extension names), following the one table of what each format
    keeps (fidelity.py). Returns the verdict: EXACT, or LOSSY (the caller warns with its sentence).

    Raises ImageError with one sentence, and writes nothing, for a format imgshare does not write or
    one that would lose the values entirely (naming a format that keeps them), and when the file
    cannot be written; an existing file at path is replaced only once the new one is complete.
    """
    name = os.fspath(target) if isinstance(target, (str, os.PathLike)) else ""
    shown = shown or (name if name else "standard output")
    typed = format or os.path.splitext(name)[1]
    format_name = format_for_name(format) if format else format_for_extension(os.path.splitext(name)[1])
    if format_name is None or format_name not in written_formats():
        if not typed:
            raise ImageError(f"cannot write {shown}: the name has no extension to choose a format; "
                             "add .png or .tif")
        raise ImageError(unsupported(format_name, shown, typed))
    transparency = isinstance(image, Image.Image) and image.mode == "P" and "transparency" in image.info
    verdict = judge(image.mode, format_name, transparency=transparency)
    if verdict.fidelity is Fidelity.REFUSED:
        raise ImageError(verdict.refusal(shown, to_file=bool(name)))
    data = _encoded(image, verdict, shown)
    if isinstance(target, (str, os.PathLike)):
        _write_whole(name, data, shown)
        return verdict
    try:
        target.write(data)
        target.flush()
    except BrokenPipeError:
        raise  # the reader went away: the command line ends quietly, as `head` expects
    except OSError as exc:
        raise ImageError(f"cannot write {shown}: {plain_reason(exc)}") from None
    return verdict


def _encoded(image: Image.Image | Image16, verdict: Verdict, shown: str) -> bytes:
    """The file's bytes, encoded in memory: a failure leaves nothing half-written anywhere."""
    if isinstance(image, Image16):  # imgshare's own writers: the table lets 16-bit colour go to PNG or TIFF only
        return png_bytes(image) if verdict.format == "PNG" else tiff_bytes(image)
    kwargs: dict[str, object] = dict(verdict.options)
    carried = image.convert(verdict.convert) if verdict.convert else image
    if "transparency" in image.info and carried.mode == "P" and TABLE[verdict.format].keeps_transparency:
        kwargs["transparency"] = image.info["transparency"]
    out = io.BytesIO()
    try:
        carried.save(out, format=verdict.format, **kwargs)
    except (KeyError, ValueError, OSError) as exc:
        raise ImageError(f"cannot write {shown}: {verdict.spoken} could not encode this {image.mode} image "
                         f"({_short(exc)}); write {exact_extension(image.mode)} instead") from None
    return out.getvalue()


def _write_whole(path: str, data: bytes, shown: str) -> None:
    """Write data to path through a temporary file beside it, renamed over path once complete."""
    folder = os.path.dirname(path) or "."
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".imgshare-", suffix=".part")
    except FileNotFoundError:
        raise ImageError(f"cannot write {shown}: the folder {folder} does not exist") from None
    except NotADirectoryError:
        raise ImageError(f"cannot write {shown}: {folder} is not a folder") from None
    except OSError as exc:
        raise ImageError(f"cannot write {shown}: {plain_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # as a file made by open() would be
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ImageError(f"cannot write {shown}: {plain_reason(exc)}") from None


def _umask() -> int:
    """This process's umask, read without changing it (os.umask would, for every thread at once)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def lossless_extension(mode: str) -> str:
    """The extension of a file that keeps an image of this mode exactly (.png, else .tif)."""
    return exact_extension(mode)


def open_formats() -> list[tuple[str, str]]:
    """(description, pattern list) pairs of the formats Pillow can open, for file dialogs."""
    Image.init()
    by_format: dict[str, list[str]] = {}
    for ext, fmt in Image.registered_extensions().items():
        if fmt in Image.OPEN:
            by_format.setdefault(fmt, []).append("*" + ext)
    every = sorted({p for pats in by_format.values() for p in pats})
    return [("Images", " ".join(every))] + [(fmt, " ".join(sorted(p))) for fmt, p in sorted(by_format.items())]
