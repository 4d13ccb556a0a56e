"""What Save as… and Copy do with the shown image, with no widgets: write it (and say what the file
does not keep, from fidelity.py's table), put it on the clipboard (as an 8-bit display copy when PNG
cannot hold its mode)."""

from __future__ import annotations

from PIL import Image

from ...fidelity import Fidelity, Verdict
from ...image16 import Image16
from ...imaging import LOSSLESS_PNG_MODES, save_image
from ..desktop import clipboard
from .display import display_base


def save(image: Image.Image | Image16, path: str) -> tuple[str, Verdict]:
    """Write image to path (ImageError with a sentence if it cannot, or if the format would lose the
    values entirely); returns the path and what the file keeps (imaging.save_image decides)."""
    return path, save_image(image, path)


def saved_text(path: str, image: Image.Image | Image16, verdict: Verdict) -> str:
    """The status sentence after a save; a format that does not keep the image exactly says what it
    does to it (fidelity.py's table)."""
    text = f"Saved {path} ({image.width}x{image.height} {image.mode})"
    if verdict.fidelity is Fidelity.LOSSY:
        text += f", not exactly: {verdict.shortfall()}"
    return text


def copy(image: Image.Image | Image16) -> str:
    """Put image on the clipboard as PNG; returns a note when it had to be made 8-bit for that."""
    if isinstance(image, Image16) or image.mode not in LOSSLESS_PNG_MODES:
        clipboard.copy(display_base(image))  # clipboard viewers take 8-bit PNG
        return f" (as 8-bit: the clipboard's PNG holds no mode {image.mode})"
    clipboard.copy(image)
    return ""
