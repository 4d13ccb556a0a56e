"""Where pixels are left out of a comparison: rectangles and a mask file, as one (H, W) bool array."""

from __future__ import annotations

import numpy as np

from ..imaging import load_image
from .tolerances import ToleranceError, Tolerances


def ignore_mask(size: tuple[int, int], tolerances: Tolerances) -> np.ndarray | None:
    """True where a pixel is ignored (None when nothing is). Regions are clipped to the image; a mask
    file must have the image's size, and its non-zero pixels are ignored."""
    if not tolerances.ignore and not tolerances.mask:
        return None
    width, height = size
    ignored = np.zeros((height, width), dtype=bool)
    for region in tolerances.ignore:
        left, top, right, bottom = region.box
        ignored[min(top, height):min(bottom, height), min(left, width):min(right, width)] = True
    if tolerances.mask:
        mask = load_image(tolerances.mask)
        if mask.size != size:
            raise ToleranceError(f"the mask {tolerances.mask} is {mask.width}x{mask.height}, and the images "
                                 f"are {width}x{height}")
        if mask.mode in ("I;16", "I", "F"):
            mask = mask.convert("F")
        elif mask.mode != "L":
            mask = mask.convert("RGB")  # its colours, not its alpha, say what is ignored
        values = np.asarray(mask)
        ignored |= (values != 0).any(axis=2) if values.ndim == 3 else values != 0
    return ignored
