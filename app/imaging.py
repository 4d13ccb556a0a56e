"""Pillow only: open image files safely, save received images losslessly. No Tk, no IPC."""

from __future__ import annotations

import os
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from .ipc.errors import ImageError, TooLargeError

# Pillow raises DecompressionBombError above 2x this many pixels; imgshare's own cap is 65536 a side,
# so allow up to that area's worth of a 7680x4320 x 4 image without warnings, and refuse bombs.
MAX_PIXELS = 8192 * 8192 * 2

LOSSLESS_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})
LOSSLESS_TIFF_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"})


def load_image(path: str | os.PathLike, *, frame: int = 0) -> Image.Image:
    """Open and fully decode an image file, upright per its EXIF orientation.

    Raises ImageError with one plain sentence for a missing, unreadable, truncated or non-image file,
    and TooLargeError for a decompression bomb.
    """
    name = os.fspath(path)
    shown = os.path.basename(name) or name
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(name) as opened:
                if frame:
                    opened.seek(frame)
                opened.load()
                image = ImageOps.exif_transpose(opened) if _has_rotation(opened) else opened.copy()
                image.info.update({k: v for k, v in opened.info.items() if k == "transparency"})
    except FileNotFoundError:
        raise ImageError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{shown}: is a folder, not an image file") from None
    except PermissionError:
        raise ImageError(f"{shown}: permission denied") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLargeError(f"{shown}: the image has too many pixels to open safely "
                            "(a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{shown}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{shown}: the image is damaged or truncated ({_short(exc)})") from None
    except MemoryError:
        raise TooLargeError(f"{shown}: not enough memory to decode this image") from None
    return image


def _has_rotation(image: Image.Image) -> bool:
    try:
        return image.getexif().get(0x0112, 1) not in (1, None)
    except Exception:
        return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def save_image(image: Image.Image, path: str | os.PathLike) -> None:
    """Write image to path in the format its extension names, refusing silent loss of data.

    PNG keeps 1, L, LA, P, RGB, RGBA and I;16 exactly; TIFF also keeps I and F. Other formats are
    written as Pillow can, and an image mode they cannot hold is an ImageError naming a format that can.
    """
    name = os.fspath(path)
    ext = os.path.splitext(name)[1].lower()
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


def open_formats() -> list[tuple[str, str]]:
    """(description, pattern list) pairs of the formats Pillow can open, for file dialogs."""
    Image.init()
    by_format: dict[str, list[str]] = {}
    for ext, fmt in Image.registered_extensions().items():
        if fmt in Image.OPEN:
            by_format.setdefault(fmt, []).append("*" + ext)
    every = sorted({p for pats in by_format.values() for p in pats})
    return [("Images", " ".join(every))] + [(fmt, " ".join(sorted(p))) for fmt, p in sorted(by_format.items())]
