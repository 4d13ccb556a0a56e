"""The one check that an image's size is one the protocol carries (docs/protocol.md §7.2)."""

from __future__ import annotations

from ..errors import TooLargeError

MAX_DIMENSION = 65536


def check_image_size(width: int, height: int, what: str = "the image") -> None:
    """TooLargeError unless width and height are each 1..65536 pixels."""
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise TooLargeError(
            f"{what} is {width}x{height}; imgshare carries 1 to {MAX_DIMENSION} pixels a side"
        )
