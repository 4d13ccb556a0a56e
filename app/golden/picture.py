"""The picture of a comparison: the expected image faded to grey, each counted pixel in one strong
colour (as odiff and pixelmatch draw it), anti-aliasing in yellow, ignored regions tinted."""

from __future__ import annotations

import numpy as np
from PIL import Image

DIFFERENT = (255, 0, 0)
ANTIALIASED = (255, 255, 0)
IGNORED_TINT = (60, 120, 255)
FADE = 0.1  # how much of the expected image shows through (pixelmatch's alpha)


def _luma(expected: Image.Image) -> np.ndarray:
    """0..255 brightness of the expected image (deep modes stretched from their minimum to maximum)."""
    if expected.mode in ("I;16", "I", "F"):
        values = np.asarray(expected, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        scaled = (np.nan_to_num(values, nan=low, posinf=high, neginf=low) - low) / max(high - low, 1e-12)
        return scaled * 255
    rgba = np.asarray(expected.convert("RGBA"), dtype=np.float64)
    luma = rgba[:, :, 0] * 0.29889531 + rgba[:, :, 1] * 0.58662247 + rgba[:, :, 2] * 0.11448223
    return 255 - (255 - luma) * rgba[:, :, 3] / 255  # over white, as the measure sees it


def display_copy(image: Image.Image) -> Image.Image:
    """An 8-bit copy a browser shows: colour modes as RGBA, deep ones stretched to grey."""
    if image.mode in ("I;16", "I", "F"):
        return Image.fromarray(np.clip(_luma(image) + 0.5, 0, 255).astype(np.uint8), "L")
    return image.convert("RGBA")


def diff_picture(expected: Image.Image, counted: np.ndarray, ignored: np.ndarray | None = None,
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


HIGHLIGHT = (255, 0, 200)  # magenta: rare in test images, seen at once over dimmed ones


def difference_overlay(base: Image.Image, mask: np.ndarray) -> Image.Image:
    """base (a display copy) dimmed, with the pixels set in mask painted in a signal colour."""
    if base.size != (mask.shape[1], mask.shape[0]):
        return base
    dimmed = base.convert("RGB").point(lambda v: v * 2 // 5)  # point lets the Tk thread run; blend does not
    return Image.composite(Image.new("RGB", base.size, HIGHLIGHT), dimmed, Image.fromarray(mask))


REGION_TINT = (0, 150, 255)


def tint_regions(base: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """base (a display copy) with each box (left, top, right, bottom) tinted blue: what is ignored."""
    if not boxes:
        return base
    shown = base.convert("RGB")
    for box in boxes:
        clipped = (max(0, box[0]), max(0, box[1]), min(shown.width, box[2]), min(shown.height, box[3]))
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            continue
        part = shown.crop(clipped)
        shown.paste(Image.blend(part, Image.new("RGB", part.size, REGION_TINT), 0.35), clipped[:2])
    return shown
