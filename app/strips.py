"""Whole-image Pillow work cut into horizontal strips, for code that runs beside a Tk loop.

Some Pillow operations (getextrema, split, ImageChops, ImageMath, blend, comparing two tobytes()) hold
Python's lock for their whole run: on an 8K image that is 30-130 ms during which the window's thread
cannot run. Done strip by strip, each call holds it for a few milliseconds only.
"""

from __future__ import annotations

from collections.abc import Iterator

STRIP_PIXELS = 1_000_000  # about 1-5 ms of Pillow work per call


def strips(size: tuple[int, int], pixels: int = STRIP_PIXELS) -> Iterator[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of full-width strips covering an image of size, top to bottom."""
    width, height = size
    rows = max(1, pixels // max(1, width))
    for top in range(0, height, rows):
        yield 0, top, width, min(height, top + rows)
