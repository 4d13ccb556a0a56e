"""The picture of a comparison: the expected image faded to grey, each counted pixel in one strong
colour (as odiff and pixelmatch draw it), anti-aliasing in yellow, ignored regions tinted."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..image16 import Image16

DIFFERENT = (255, 0, 0)
ANTIALIASED = (255, 255, 0)
IGNORED_TINT = (60, 120, 255)
FADE = 0.1  # how much of the expected image shows through (pixelmatch's alpha)


def _luma(expected: Image.Image | Image16) -> np.ndarray:
    """0..255 brightness of the expected image (deep modes stretched from their minimum to maximum;
    16-bit colour by its high bytes)."""
    if isinstance(expected, Image16):
        expected = expected.to_8bit()
    if expected.mode in ("I;16", "I", "F"):
        values = np.asarray(expected, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        scaled = (np.nan_to_num(values, nan=low, posinf=high, neginf=low) - low) / max(high - low, 1e-12)
        return scaled * 255
    rgba = np.asarray(expected.convert("RGBA"), dtype=np.float64)
    luma = rgba[:, :, 0] * 0.29889531 + rgba[:, :, 1] * 0.58662247 + rgba[:, :, 2] * 0.11448223
    return 255 - (255 - luma) * rgba[:, :, 3] / 255  # over white, as the measure sees it


def display_copy(image: Image.Image | Image16) -> Image.Image:
    """An 8-bit copy a browser shows: colour modes as RGBA (16-bit colour by its high bytes), deep ones
    stretched to grey."""
    if isinstance(image, Image16):
        return image.to_8bit().convert("RGBA")
    if image.mode in ("I;16", "I", "F"):
        return Image.fromarray(np.clip(_luma(image) + 0.5, 0, 255).astype(np.uint8), "L")
    return image.convert("RGBA")


def diff_picture(expected: Image.Image | Image16, counted: np.ndarray, ignored: np.ndarray | None = None,
                 antialiased: np.ndarray | None = None) -> Image.Image:
    """An RGB image of the expected image's size."""
    grey = 255 + (_luma(expected) - 255) * FADE
    picture = np.repeat(grey[:, :, None], 3, axis=2)
    if ignored is not None:
        picture[ignored] = picture[ignored] * 0.6 + np.array(IGNORED_TINT) * 0.4
    if antialiased is not None:
        picture[antialiased] = ANTIALIASED
    picture[counted] = DIFFERENT
    return Image.fromarray(np.clip(picture + 0.5, 0, 255).astype(np.uint8), "RGB")

