"""How each mode is compared (MODES: a new mode is one entry there), with no numpy: both the Pillow
engine (chops.py) and the numpy one (engine.py) read this table."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from PIL import Image

from ..image16 import Image16


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


def colour_key(image: Image.Image | Image16) -> tuple[int, ...] | None:
    """The value (or colour) the image's colour key makes transparent, one number per channel; None
    when its mode has no colour key or it sets none (a bytes key is a palette's, not a colour key)."""
    if not rule_for(image.mode).colour_key or not isinstance(image, Image.Image):
        return None
    key: Any = image.info.get("transparency")
    if key is None or isinstance(key, bytes):
        return None
    channels = len(image.getbands())
    values = tuple(int(v) for v in (key if isinstance(key, tuple) else (key,) * channels))
    return values[:channels]


def extrema(image: Image.Image) -> list[tuple[float, float]]:
    """(lowest, highest) value of each band."""
    found: Any = image.getextrema()
    return list(found) if len(image.getbands()) > 1 else [found]


def palette_facts(image: Image.Image | Image16) -> tuple[Any, Any]:
    """What besides the indices makes a P image's colours: the RGBA palette and the transparency."""
    palette = image.getpalette("RGBA") if isinstance(image, Image.Image) else None
    return palette, image.info.get("transparency")
