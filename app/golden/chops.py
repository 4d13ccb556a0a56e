"""Compare two images with Pillow alone (no numpy): exact values in every mode, an absolute tolerance
for I;16 and I, ignore regions, masks and pixel limits. Each step is one of Pillow's whole-image
operations in C (ImageChops, ImageMath, point, histogram, getbbox) on a strip of rows at a time, so a
window's thread runs between strips and progress can be reported (see strips.py).

What truly needs numpy (pixelmatch's measure, anti-aliasing, SSIM, a tolerance for F) is engine.py's;
handles() says which of the two a comparison needs. The tests hold both engines to the same answers.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Callable, Iterator
from typing import Any

from PIL import Image, ImageChops

from ..strips import strips
from . import marks as m
from .modes import Family, colour_key, extrema, rule_for
from .regions import ignore_marks
from .result import CompareResult, Largest, conclude, mismatch
from .tolerances import EXACT, ToleranceError, Tolerances

Progress = Callable[[float], None]
_INT32 = 2 ** 31


def needs_numpy(actual: Image.Image, expected: Image.Image, tolerances: Tolerances, metrics: bool) -> str | None:
    """What of this comparison only the numpy engine can do, in a few words; None if this one can."""
    if tolerances.perceptual:
        return "a threshold and anti-aliasing (pixelmatch's measure)"
    if metrics:
        return "SSIM (--metrics)"
    if tolerances.deep_tolerance and actual.mode == expected.mode and actual.size == expected.size:
        if actual.mode == "F" or (actual.mode == "I" and not _differences_fit(actual, expected)):
            return f"an absolute tolerance for {actual.mode} images"
    return None


def _differences_fit(actual: Image.Image, expected: Image.Image) -> bool:
    """Whether every difference of two I images fits in 32 bits (ImageMath's integers)."""
    [(low_a, high_a)], [(low_b, high_b)] = extrema(actual), extrema(expected)
    return max(high_a - low_b, high_b - low_a) < _INT32


def compare_images(actual: Image.Image, expected: Image.Image, tolerances: Tolerances = EXACT, *,
                   progress: Progress | None = None) -> CompareResult:
    """Compare actual with expected (both in a carried mode) where needs_numpy() is None."""
    early = mismatch(actual, expected, tolerances)
    if early is not None:
        return early
    rule = rule_for(actual.mode)
    if tolerances.deep_tolerance and rule.family is not Family.DEEP:
        raise ToleranceError(f"an absolute tolerance applies to I;16, I and F images, and this one is "
                             f"{actual.mode}; for 8-bit images give a threshold (0..1)")
    scan = _Deep(tolerances.deep_tolerance) if rule.family is Family.DEEP else _Exact(actual, expected)
    ignored = ignore_marks(actual.size, tolerances)
    counted = Image.new("1", actual.size, 0)
    values_differ, differing = False, 0
    boxes = list(strips(actual.size))
    for done, box in enumerate(boxes, 1):
        a, b = actual.crop(box), expected.crop(box)
        found = scan.strip(a, b)
        if found is not None:  # most strips of a golden check are equal: one difference and a bbox said so
            values_differ = True
            beyond = m.without(found, ignored.crop(box)) if ignored is not None else found
            if beyond.getbbox() is not None:
                counted.paste(beyond, box[:2])
                differing += m.count(beyond)  # per strip, inside the box around its differences
                scan.note(a, b, beyond)
        if progress is not None:
            progress(done / len(boxes))
    return conclude(actual, expected, tolerances, values_differ, differing=differing,
                    ignored=m.count(ignored) if ignored is not None else 0,
                    allowed=tolerances.allowed(actual.width * actual.height),
                    largest=scan.largest() if differing else (), marks=counted, ignored_marks=ignored)


class _Exact:
    """Same mode, 8-bit channels: a pixel differs when any value differs, or the colour key makes it
    transparent on one side only."""

    def __init__(self, actual: Image.Image, expected: Image.Image):
        self.mode = actual.mode
        self.names = rule_for(actual.mode).channels
        self.keys = colour_key(actual), colour_key(expected)
        self.high = [0] * len(self.names)
        self.key_differs = False

    def _keyed(self, part: Image.Image, key: tuple[int, ...] | None) -> Image.Image:
        return m.every_band_equals(part, key) if key is not None else Image.new("1", part.size, 0)

    def strip(self, a: Image.Image, b: Image.Image) -> Image.Image | None:
        """Where values differ (here also where pixels count); None where none does."""
        difference = ImageChops.difference(a, b)
        box = difference.getbbox(alpha_only=False)
        differs: Image.Image | None = None
        if box is not None:  # the bands are looked at only inside the box around the differences
            differs = Image.new("1", a.size, 0)
            differs.paste(m.any_band_set(difference.crop(box)), box[:2])
        if self.keys[0] != self.keys[1]:  # with one key on both sides, a keyed pixel differs anyway
            flips = self._key_flips(a, b)
            if flips.getbbox() is not None:
                differs = flips if differs is None else ImageChops.logical_or(differs, flips)
        return differs

    def _key_flips(self, a: Image.Image, b: Image.Image) -> Image.Image:
        return ImageChops.logical_xor(self._keyed(a, self.keys[0]), self._keyed(b, self.keys[1]))

    def note(self, a: Image.Image, b: Image.Image, counted: Image.Image) -> None:
        """Keep the largest difference per channel among the counted pixels of this strip."""
        box = counted.getbbox()
        assert box is not None
        a, b, counted = a.crop(box), b.crop(box), counted.crop(box)
        difference = ImageChops.difference(a, b)
        if self.mode == "1":  # values 0 and 1: a counted pixel differs by 1
            if ImageChops.logical_and(difference, counted).getbbox() is not None:
                self.high[0] = 1
        else:
            if difference.mode == "P":  # index differences, not colours
                difference = Image.frombytes("L", difference.size, difference.tobytes())
            kept = Image.composite(difference, Image.new(difference.mode, a.size, 0), counted)
            for channel, (_, high) in enumerate(extrema(kept)):
                self.high[channel] = max(self.high[channel], int(high))
        if self.keys != (None, None):
            flips = ImageChops.logical_and(self._key_flips(a, b), counted)
            self.key_differs = self.key_differs or flips.getbbox() is not None

    def largest(self) -> Largest:
        found: Largest = tuple((name, float(high)) for name, high in zip(self.names, self.high, strict=True))
        if self.keys != (None, None):  # the colour key decides the alpha
            found += (("A", 255.0 if self.key_differs else 0.0),)
        return found


class _Deep:
    """I;16, I and F: one number per pixel, equal within the absolute tolerance (I;16 and I here); a
    NaN equals only a NaN at the same place."""

    def __init__(self, tolerance: float):
        self.tolerance = math.floor(tolerance)  # integers differ by more than t when by more than floor(t)
        self.high: float | None = None

    @staticmethod
    def _wide(part: Image.Image) -> Image.Image:
        return part.convert("I") if part.mode == "I;16" else part

    def strip(self, a: Image.Image, b: Image.Image) -> Image.Image | None:
        """Where the values differ beyond the tolerance; None where no value differs at all."""
        from PIL import ImageMath  # only deep images need it: a compare of 8-bit ones skips its import
        a, b = self._wide(a), self._wide(b)
        if a.mode == "F":
            unequal = ImageMath.lambda_eval(_unequal_floats, a=a, b=b)
        else:
            unequal = ImageMath.lambda_eval(lambda v: v["a"] != v["b"], a=a, b=b)
        differs = m.nonzero(unequal)
        if differs.getbbox() is None:
            return None
        if not self.tolerance:
            return differs
        limit = self.tolerance
        beyond = ImageMath.lambda_eval(lambda v: abs(v["a"] - v["b"]) > limit, a=a, b=b)  # I only: F needs numpy
        return m.nonzero(beyond)

    def note(self, a: Image.Image, b: Image.Image, counted: Image.Image) -> None:
        """Keep the largest difference among the counted pixels, as numpy's int64 or float64 gives it."""
        from PIL import ImageMath
        a, b = self._wide(a), self._wide(b)
        if a.mode == "I" and _differences_fit(a, b):  # in C, exact: no difference overflows 32 bits
            difference = ImageMath.lambda_eval(lambda v: abs(v["a"] - v["b"]), a=a, b=b)
            highs: Iterator[float] = iter([extrema(Image.composite(difference, Image.new("I", a.size, 0),
                                                                   counted))[0][1]])
        else:  # F, or I beyond 32 bits: Python's float64 and integers, over the counted pixels only
            box = counted.getbbox()
            assert box is not None
            highs = _differences(a.crop(box), b.crop(box), counted.crop(box))
        for high in highs:
            if not math.isnan(high) and (self.high is None or high > self.high):
                self.high = high

    def largest(self) -> Largest:
        return (("value", float(self.high) if self.high is not None else 0.0),)


def _unequal_floats(v: dict[str, Any]) -> Any:
    """1 where two float values differ, taking two NaNs as equal (v: ImageMath's operands a, b)."""
    a, b = v["a"], v["b"]
    return (a != b) * (1 - (a != a) * (b != b))


def _differences(a: Image.Image, b: Image.Image, counted: Image.Image) -> Iterator[float]:
    """|a - b| at each counted pixel, in Python's exact integers or float64 (ImageMath's are 32-bit)."""
    kind = "f" if a.mode == "F" else "i"
    values_a, values_b = array(kind, a.tobytes()), array(kind, b.tobytes())
    chosen: Any = counted.convert("L").tobytes()
    for x, y in itertools.compress(zip(values_a, values_b, strict=True), chosen):
        yield abs(x - y)
