"""What the window paints over a compared image (Pillow only, no numpy at import: the window runs
without numpy, and only a comparison, which needs it, gives it something to paint)."""

from __future__ import annotations

from typing import Any

from PIL import Image

HIGHLIGHT = (255, 0, 200)  # magenta: rare in test images, seen at once over dimmed ones
REGION_TINT = (0, 150, 255)


def difference_overlay(base: Image.Image, mask: Any) -> Image.Image:
    """base (a display copy) dimmed, with the pixels set in mask ((H, W) bool array) in the signal colour."""
    if base.size != (mask.shape[1], mask.shape[0]):
        return base
    dimmed = base.convert("RGB").point(lambda v: v * 2 // 5)  # point lets the Tk thread run; blend does not
    return Image.composite(Image.new("RGB", base.size, HIGHLIGHT), dimmed, Image.fromarray(mask))


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
