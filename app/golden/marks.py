"""Sets of pixels as mode "1" images (set: counted, ignored, anti-aliased...), made and read with
Pillow's whole-image operations in C, so nothing here needs numpy."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator

from PIL import Image, ImageChops

_NONZERO = [0] + [255] * 255  # a lookup table: any value but 0 is set


def nonzero(image: Image.Image) -> Image.Image:
    """Set where a one-band image (1, L, P indices, or I/F holding 0 and 1) is not 0."""
    if image.mode == "1":
        return image
    if image.mode == "P":  # the indices, not the colours they stand for
        image = Image.frombytes("L", image.size, image.tobytes())
    elif image.mode in ("I", "F"):  # here 0 or 1 only: the result of an ImageMath comparison
        image = image.convert("L")
    return image.point(_NONZERO, "1")


def any_band_set(image: Image.Image) -> Image.Image:
    """Set where any band of image is not 0."""
    bands = image.split()
    marks = nonzero(bands[0])
    for band in bands[1:]:
        marks = ImageChops.logical_or(marks, nonzero(band))
    return marks


def every_band_equals(image: Image.Image, values: tuple[int, ...]) -> Image.Image:
    """Set where each band of image holds its value in values (a colour key)."""
    marks: Image.Image | None = None
    for band, value in zip(image.split(), values, strict=False):
        table = [255 if v == value else 0 for v in range(256)]
        equal = band.point(table, "1")
        marks = equal if marks is None else ImageChops.logical_and(marks, equal)
    assert marks is not None
    return marks


def count(marks: Image.Image) -> int:
    """How many pixels are set (counted inside the box around them: an 8K histogram costs 70 ms)."""
    box = marks.getbbox()
    return sum(marks.crop(box).histogram()[1:]) if box is not None else 0


def without(marks: Image.Image, left_out: Image.Image | None) -> Image.Image:
    """marks with the pixels set in left_out cleared."""
    if left_out is None:
        return marks
    return ImageChops.logical_and(marks, ImageChops.invert(left_out))


class Runs:
    """The set pixels of marks in reading order, as runs of consecutive flat indices (y * width + x):
    found with one regular-expression scan in C, so walking and drawing cost per run, not per pixel."""

    def __init__(self, marks: Image.Image):
        self.width = marks.width
        data = marks.convert("L").tobytes()
        spans = [found.span() for found in re.finditer(rb"[^\x00]+", data)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        self.before = list(itertools.accumulate((end - start for start, end in spans), initial=0))
        self.count = self.before.pop()  # before[i]: set pixels ahead of run i

    def nth(self, n: int) -> int:
        """The flat index of the n-th set pixel (0 <= n < count)."""
        run = bisect.bisect_right(self.before, n) - 1
        return self.starts[run] + n - self.before[run]

    def up_to(self, flat: int) -> int:
        """How many set pixels have a flat index of flat or less."""
        run = bisect.bisect_right(self.starts, flat) - 1
        if run < 0:
            return 0
        return self.before[run] + min(flat + 1, self.ends[run]) - self.starts[run]

    def rows(self) -> Iterator[tuple[int, int, int]]:
        """(y, first x, last x + 1) of each run cut at the ends of rows."""
        width = self.width
        for start, end in zip(self.starts, self.ends, strict=True):
            while start < end:
                y, x = divmod(start, width)
                stop = min(end, (y + 1) * width)
                yield y, x, x + stop - start
                start = stop
