"""Images as numpy arrays for comparing: what each mode's values are, and where it is transparent.

One table says how each mode is compared (MODES); a new mode is one entry there.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from ..image16 import Image16
from ..strips import strips

Picture = Image.Image | Image16  # what is compared: a Pillow image, or 16-bit colour (Pillow has no such mode)


class Family(enum.Enum):
    """How a mode's values are compared."""

    COLOUR = "colour"  # 8-bit channels: exact values, or pixelmatch's measure as RGBA
    DEEP = "deep"  # numbers in the mode's own units (16-bit colour: one per channel): exact, or within an
    # absolute tolerance


@dataclass(frozen=True)
class ModeRule:
    family: Family
    channels: tuple[str, ...]  # names of the values compared, for "largest difference"
    colour_key: bool = False  # info["transparency"] names one value (or colour) that is transparent


MODES: dict[str, ModeRule] = {
    "1": ModeRule(Family.COLOUR, ("value",)),
    "L": ModeRule(Family.COLOUR, ("L",), colour_key=True),
    "LA": ModeRule(Family.COLOUR, ("L", "A")),
    "P": ModeRule(Family.COLOUR, ("index",)),
    "RGB": ModeRule(Family.COLOUR, ("R", "G", "B"), colour_key=True),
    "RGBA": ModeRule(Family.COLOUR, ("R", "G", "B", "A")),
    "I;16": ModeRule(Family.DEEP, ("value",)),
    "I": ModeRule(Family.DEEP, ("value",)),
    "F": ModeRule(Family.DEEP, ("value",)),
    "RGB;16": ModeRule(Family.DEEP, ("R", "G", "B")),
    "RGBA;16": ModeRule(Family.DEEP, ("R", "G", "B", "A")),
}


def rule_for(mode: str) -> ModeRule:
    rule = MODES.get(mode)
    if rule is None:  # loading converts every other mode to one of these: a new mode needs a row above
        raise ValueError(f"no compare rule for mode {mode}")
    return rule


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
    if not rule_for(image.mode).colour_key:
        return None
    key: Any = image.info.get("transparency")
    if key is None or isinstance(key, bytes):
        return None
    wanted = np.array(key if isinstance(key, tuple) else (key,), dtype=np.int64)[: pixels.shape[2]]
    keyed: np.ndarray = (pixels == wanted).all(axis=2)
    return keyed


def palette_facts(image: Image.Image) -> tuple[Any, Any]:
    """What besides the indices makes a P image's colours: the RGBA palette and the transparency."""
    return image.getpalette("RGBA"), image.info.get("transparency")
