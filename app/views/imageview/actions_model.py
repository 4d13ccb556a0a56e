"""What Save as… and Copy do with the shown image, with no widgets: write it (and say whether the file
keeps every pixel), put it on the clipboard (as an 8-bit display copy when PNG cannot hold its mode)."""

from __future__ import annotations

import os

from PIL import Image

from ...imaging import LOSSLESS_PNG_MODES, Fidelity, save_image
from ..desktop import clipboard
from .display import display_base

_SPOKEN_FORMATS = {"WEBP": "WebP", "JPEG2000": "JPEG 2000"}  # Pillow's format names, as people write them


def save(image: Image.Image, path: str) -> tuple[str, Fidelity]:
    """Write image to path (ImageError with a sentence if it cannot); returns the path and whether
    the file keeps every pixel (imaging.save_image decides)."""
    return path, save_image(image, path)


def saved_text(path: str, image: Image.Image, fidelity: Fidelity) -> str:
    """The status sentence after a save; a lossy format says that the file's pixels are not exact."""
    text = f"Saved {path} ({image.width}x{image.height} {image.mode})"
    if fidelity is Fidelity.LOSSY:
        name = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), "this format")
        text += (f"; {_SPOKEN_FORMATS.get(name, name)} is lossy, so the file's pixels differ from the image "
                 "(save as PNG or TIFF for exact pixels)")
    return text


def copy(image: Image.Image) -> str:
    """Put image on the clipboard as PNG; returns a note when it had to be made 8-bit for that."""
    note = ""
    if image.mode not in LOSSLESS_PNG_MODES:
        image, note = display_base(image), f" (as 8-bit: PNG cannot hold mode {image.mode})"
    clipboard.copy(image)
    return note
