"""Images as numpy arrays for comparing: what each mode's values are, and where it is transparent.
How each mode is compared is modes.py's table."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from ..image16 import Image16
from ..strips import strips
from .modes import Family, ModeRule, colour_key, palette_facts, rule_for

__all__ = ["Family", "ModeRule", "Picture", "key_transparent", "palette_facts", "rgba", "rule_for", "values", "words"]

Picture = Image.Image | Image16  # what is compared: a Pillow image, or 16-bit colour (Pillow has no such mode)


def _by_strips(image: Image.Image, convert: Callable[[Image.Image], np.ndarray]) -> np.ndarray:
    """convert(part) of each strip of rows, put together: Pillow holds Python's lock through a whole
    tobytes() or convert() (on an 8K image, long enough to stall a window), and through a strip's only
    briefly (see strips.py)."""
    whole: np.ndarray | None = None
    for box in strips(image.size):
        part = convert(image.crop(box))
        if whole is None:
            whole = np.empty((image.height, *part.shape[1:]), dtype=part.dtype)
        whole[box[1]:box[3]] = part
    assert whole is not None
    return whole


def _stored(part: Image.Image) -> np.ndarray:
    if part.mode == "1":
        array = np.asarray(part.convert("L"), dtype=np.uint8) // 255
    elif part.mode == "P":
        array = np.frombuffer(part.tobytes(), dtype=np.uint8).reshape(part.height, part.width)
    else:
        array = np.asarray(part)
    return array.reshape(part.height, part.width, -1)


def values(image: Picture) -> np.ndarray:
    """The pixel values as stored, (H, W, channels): 1 as 0/1, P as indices, I;16, I and F as one
    channel, 16-bit colour as uint16 channels."""
    if isinstance(image, Image16):
        return np.asarray(image)  # a view of its bytes: no Pillow work to spread over strips
    return _by_strips(image, _stored)


def rgba(image: Image.Image) -> np.ndarray:
    """(H, W, 4) uint8 RGBA, transparency (a colour key, a palette's alpha) applied, as pixelmatch sees it."""
    return _by_strips(image, lambda part: np.asarray(part if part.mode == "RGBA" else part.convert("RGBA")))


def words(four_channels: np.ndarray) -> np.ndarray:
    """(H, W) uint32: each pixel of 4 uint8 channels as one number, so equal pixels compare in one step."""
    return np.ascontiguousarray(four_channels).view(np.uint32).reshape(four_channels.shape[:2])


def key_transparent(image: Picture, pixels: np.ndarray) -> np.ndarray | None:
    """For a mode with a colour key: where the key makes pixels transparent ((H, W) bool); else None."""
    key = colour_key(image)
    if key is None:
        return None
    keyed: np.ndarray = (pixels == np.array(key, dtype=np.int64)).all(axis=2)
    return keyed
