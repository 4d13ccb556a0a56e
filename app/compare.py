"""Compare a received image with an expected one (Pillow only, no Tk): pixel-exact or not, and if not,
how many pixels differ, the largest difference per channel, and a mask of where.

Pixel-exact means the same size, the same mode and the same values (and for a palette image, the same
palette). The expected file goes through the same mode conversion a sender applies before sharing
(imgshare.ipc.pillowmodes.to_carried), so a file compared with its own share is exact.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageMath

from .image16 import Image16
from .imaging import load_image
from .ipc.pillowmodes import to_carried
from .strips import strips

_FLOAT_EXACT_DIGITS = 9  # float32 values written with enough digits to tell any two apart
_INT_EXACT_BELOW = 2 ** 30  # integer differences below this are computed exactly in 32-bit arithmetic
_EXACT_SCAN_MAX = 250_000  # pixels read one by one at most to make a huge integer difference exact


Largest = tuple[tuple[str, float], ...]  # (channel name, largest absolute difference) per channel


class Verdict(enum.Enum):
    """The outcome of a comparison."""

    EXACT = "exact"
    PIXELS_DIFFER = "pixels differ"
    SIZE_DIFFERS = "size differs"
    MODE_DIFFERS = "mode differs"
    PALETTE_DIFFERS = "palette differs"

    @property
    def exact(self) -> bool:
        return self is Verdict.EXACT


@dataclass(frozen=True)
class Comparison:
    """What a comparison found. largest: per channel name, the largest absolute difference (in the
    mode's own units: 0..255, 0..65535, the integer or the float), for PIXELS_DIFFER only."""

    verdict: Verdict
    size: tuple[int, int]
    mode: str
    expected_size: tuple[int, int]
    expected_mode: str
    differing: int = 0
    largest: Largest = ()

    @property
    def exact(self) -> bool:
        return self.verdict.exact

    @property
    def total(self) -> int:
        return self.size[0] * self.size[1]

    def summary(self) -> str:
        """One line for people: 'pixel-exact: 640x480 RGB' or what differs."""
        if self.verdict is Verdict.EXACT:
            return f"pixel-exact: {self.size[0]}x{self.size[1]} {self.mode}"
        if self.verdict is Verdict.SIZE_DIFFERS:
            return (f"differs: the size is {self.size[0]}x{self.size[1]}, "
                    f"expected {self.expected_size[0]}x{self.expected_size[1]}")
        if self.verdict is Verdict.MODE_DIFFERS:
            return f"differs: the mode is {self.mode}, expected {self.expected_mode}"
        if self.verdict is Verdict.PALETTE_DIFFERS:
            return "differs: the same palette indices, but the palettes differ"
        largest = ", ".join(f"{name} {write_number(value)}" for name, value in self.largest)
        return (f"differs: {self.differing} of {self.total} pixels ({percent(self.differing, self.total)}); "
                f"largest difference {largest}")

    def as_dict(self) -> dict[str, Any]:
        return {"exact": self.exact, "verdict": self.verdict.value, "size": list(self.size), "mode": self.mode,
                "expected_size": list(self.expected_size), "expected_mode": self.expected_mode,
                "differing_pixels": self.differing, "total_pixels": self.total,
                "largest_difference": dict(self.largest)}


def write_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.{_FLOAT_EXACT_DIGITS}g}"


def percent(part: int, whole: int) -> str:
    share = 100.0 * part / max(1, whole)
    return f"{share:.2f}%" if share >= 0.01 or part == 0 else "<0.01%"


def load_expected(path: str | os.PathLike[str]) -> Image.Image | Image16:
    """The expected image from a file, in the mode a sender would share it in (ImageError if unreadable);
    16-bit colour exactly (Image16)."""
    image = load_image(path)
    return image if isinstance(image, Image16) else to_carried(image)[0]


def compare(received: Image.Image | Image16, expected: Image.Image | Image16) -> tuple[Comparison, Image.Image | None]:
    """Compare received with expected; the mask (mode L, 255 where a pixel differs) when pixels differ."""
    if isinstance(received, Image16) or isinstance(expected, Image16):
        return _compare_wide(received, expected)

    def facts(verdict: Verdict, differing: int = 0, largest: Largest = ()) -> Comparison:
        return Comparison(verdict, received.size, received.mode, expected.size, expected.mode, differing, largest)

    if received.size != expected.size:
        return facts(Verdict.SIZE_DIFFERS), None
    if received.mode != expected.mode:
        return facts(Verdict.MODE_DIFFERS), None
    differences = _differences if received.mode not in ("I;16", "I", "F") else _deep_differences
    mask: Image.Image | None = None
    largest: dict[str, float] = {}
    for box in strips(received.size):  # a strip at a time: see strips.py
        a, b = received.crop(box), expected.crop(box)
        if a.tobytes() == b.tobytes():
            continue
        strip_mask, strip_largest = differences(a, b)
        if mask is None:
            mask = Image.new("L", received.size, 0)
        mask.paste(strip_mask, box[:2])
        for name, value in strip_largest:
            largest[name] = max(largest.get(name, value), value)
    if mask is None:
        if received.mode == "P" and _palette(received) != _palette(expected):
            return facts(Verdict.PALETTE_DIFFERS), None
        return facts(Verdict.EXACT), None
    names = [name for name, _ in _bands(received.crop((0, 0, 1, 1)))] if differences is _differences else ["value"]
    differing = mask.histogram()[255]
    return facts(Verdict.PIXELS_DIFFER, differing, tuple((name, largest.get(name, 0.0)) for name in names)), mask


def _compare_wide(received: Image.Image | Image16, expected: Image.Image | Image16
                  ) -> tuple[Comparison, Image.Image | None]:
    """16-bit colour images: compared band by band, each an exact Pillow I;16 image."""
    def facts(verdict: Verdict, differing: int = 0, largest: Largest = ()) -> Comparison:
        return Comparison(verdict, received.size, received.mode, expected.size, expected.mode, differing, largest)

    if received.size != expected.size:
        return facts(Verdict.SIZE_DIFFERS), None
    if received.mode != expected.mode or not isinstance(received, Image16) or not isinstance(expected, Image16):
        return facts(Verdict.MODE_DIFFERS), None
    if received == expected:
        return facts(Verdict.EXACT), None
    mask: Image.Image | None = None
    largest = []
    for name, a, b in zip("RGBA", received.split(), expected.split(), strict=False):
        band, band_largest = _deep_differences(a, b)
        largest.append((name, band_largest[0][1]))
        mask = band if mask is None else ImageChops.lighter(mask, band)
    assert mask is not None
    return facts(Verdict.PIXELS_DIFFER, mask.histogram()[255], tuple(largest)), mask


def _palette(image: Image.Image) -> tuple[list[int] | None, Any]:
    return image.getpalette("RGBA"), image.info.get("transparency")


def _bands(image: Image.Image) -> tuple[tuple[str, Image.Image], ...]:
    """8-bit channels by name: a 1-bit image as 0/1 values, a palette image as its indices."""
    if image.mode == "1":
        return (("value", image.convert("L").point(lambda v: 1 if v else 0)),)
    if image.mode == "P":
        return (("index", Image.frombytes("L", image.size, image.tobytes())),)
    names = {"L": ("L",), "LA": ("L", "A"), "RGB": ("R", "G", "B"), "RGBA": ("R", "G", "B", "A")}[image.mode]
    return tuple(zip(names, image.split(), strict=True))


def _differences(received: Image.Image, expected: Image.Image) -> tuple[Image.Image, Largest]:
    largest: list[tuple[str, float]] = []
    combined: Image.Image | None = None
    for (name, a), (_, b) in zip(_bands(received), _bands(expected), strict=True):
        difference = ImageChops.difference(a, b)
        largest.append((name, highest(difference)))
        combined = difference if combined is None else ImageChops.lighter(combined, difference)
    assert combined is not None
    return combined.point(lambda v: 255 if v else 0), tuple(largest)


def _deep_differences(received: Image.Image, expected: Image.Image) -> tuple[Image.Image, Largest]:
    """16-bit, 32-bit and float images, through Pillow's 32-bit image arithmetic."""
    a, b = (image.convert("I") if image.mode == "I;16" else image for image in (received, expected))
    if a.mode == "F":
        # a NaN differs from everything but a NaN at the same place; the largest difference is that
        # of the numbers (max(d, 0) turns a NaN difference into 0)
        unequal = _math(lambda v: (v["a"] != v["b"]) - (v["a"] != v["a"]) * (v["b"] != v["b"]), a=a, b=b)
        difference = _math(lambda v: v["max"](abs(v["a"] - v["b"]), 0.0), a=a, b=b)
    else:
        unequal = _math(lambda v: v["a"] != v["b"], a=a, b=b)
        # through float first: a 32-bit difference may not fit in 32 bits
        difference = _math(lambda v: abs(v["a"] - v["b"]), a=a.convert("F"), b=b.convert("F"))
    high = highest(difference)
    if a.mode == "I":
        high = _exact_integer_largest(a, b, difference, high)
    mask = unequal.convert("L").point(lambda v: 255 if v else 0)
    return mask, (("value", float(high)),)


def _exact_integer_largest(a: Image.Image, b: Image.Image, difference: Image.Image, high: float) -> float:
    """The exact largest difference of two I images, given its float32 estimate high.

    Below 2**30 the difference fits in 32 bits, so Pillow's integer arithmetic gives it exactly;
    above, float32 may be off by up to 128, so the few pixels near the estimate are read one by one.
    """
    if high < _INT_EXACT_BELOW:
        return highest(_math(lambda v: abs(v["a"] - v["b"]), a=a, b=b))
    near = _math(lambda v: v["d"] >= v["t"], d=difference, t=Image.new("F", a.size, high * (1 - 2 ** -20)))
    box = near.convert("L").getbbox()
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) > _EXACT_SCAN_MAX:
        return high  # too many candidates to read one by one: the float32 value, within 128
    candidates = (abs(int(a.getpixel((x, y))) - int(b.getpixel((x, y))))  # type: ignore[arg-type]
                  for y in range(box[1], box[3]) for x in range(box[0], box[2]) if near.getpixel((x, y)))
    return float(max(candidates))


def highest(image: Image.Image) -> float:
    """The largest value of a one-band image."""
    high = image.getextrema()[1]
    assert isinstance(high, (int, float))
    return float(high)


def _math(expression: Any, **images: Image.Image) -> Image.Image:
    """ImageMath with a Python expression (lambda_eval, Pillow 10.3 and later)."""
    result = ImageMath.lambda_eval(expression, **images)
    assert isinstance(result, Image.Image)
    return result


def difference_overlay(base: Image.Image, mask: Image.Image) -> Image.Image:
    """base (a display copy) dimmed, with the pixels set in mask painted in a signal colour."""
    if base.size != mask.size:
        return base
    dimmed = base.convert("RGB").point(lambda v: v * 2 // 5)  # point lets the Tk thread run; blend does not
    return Image.composite(Image.new("RGB", base.size, HIGHLIGHT), dimmed, mask)


HIGHLIGHT = (255, 0, 200)  # magenta: rare in test images, seen at once over dimmed ones
