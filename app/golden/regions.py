"""Where pixels are left out of a comparison: rectangles and a mask file, as one mode "1" image (set
where a pixel is ignored). Pillow only: both engines read it (numpy's as np.asarray(marks))."""

from __future__ import annotations

from PIL import Image

from ..image16 import Image16
from ..imaging import load_image
from .marks import any_band_set, nonzero
from .tolerances import ToleranceError, Tolerances


def ignore_marks(size: tuple[int, int], tolerances: Tolerances) -> Image.Image | None:
    """Set where a pixel is ignored (None when nothing is). Regions are clipped to the image; a mask
    file must have the image's size, and its non-zero pixels are ignored."""
    if not tolerances.ignore and not tolerances.mask:
        return None
    width, height = size
    ignored = Image.new("1", size, 0)
    for region in tolerances.ignore:
        left, top, right, bottom = region.box
        if left < width and top < height:
            ignored.paste(255, (left, top, min(right, width), min(bottom, height)))
    if tolerances.mask:
        loaded = load_image(tolerances.mask)
        mask = loaded.to_8bit() if isinstance(loaded, Image16) else loaded
        if mask.size != size:
            raise ToleranceError(f"the mask {tolerances.mask} is {mask.width}x{mask.height}, and the images "
                                 f"are {width}x{height}")
        if mask.mode in ("I;16", "I", "F"):
            from PIL import ImageMath
            set_here = nonzero(ImageMath.lambda_eval(lambda v: v["m"] != 0, m=mask.convert("F")))
        elif mask.mode == "L":
            set_here = nonzero(mask)
        else:  # its colours, not its alpha, say what is ignored
            set_here = any_band_set(mask.convert("RGB"))
        ignored.paste(255, (0, 0), set_here)
    return ignored
