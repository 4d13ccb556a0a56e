"""What a golden-image check tolerates: a colour threshold (pixelmatch's measure), anti-aliasing, how
many pixels may differ, an absolute tolerance for I;16, I and F, and the regions left out.

Plain data with its checks: the CLI, the sidecar file, the window and pytest all build one of these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..ipc.errors import ImgShareError


class ToleranceError(ImgShareError):
    """A tolerance or region that makes no sense (out of range, badly written): one sentence."""


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels left out of the comparison: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Region:
        """'X,Y,W,H' as typed on the command line (ToleranceError if it is not that)."""
        parts = text.replace(" ", "").split(",")
        try:
            x, y, w, h = (int(p) for p in parts)
        except ValueError:
            raise ToleranceError(f"the region {text!r} is not X,Y,W,H (four whole numbers)") from None
        return cls.checked(x, y, w, h, shown=repr(text))

    @classmethod
    def checked(cls, x: int, y: int, width: int, height: int, shown: str = "") -> Region:
        shown = shown or f"{x},{y},{width},{height}"
        if x < 0 or y < 0:
            raise ToleranceError(f"the region {shown} starts left of or above the image (X and Y must be 0 or more)")
        if width <= 0 or height <= 0:
            raise ToleranceError(f"the region {shown} is empty (W and H must be 1 or more)")
        return cls(x, y, width, height)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom), right and bottom excluded, as Pillow's boxes."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.width},{self.height}"


@dataclass(frozen=True)
class Tolerances:
    """threshold: 0..1, pixelmatch's YIQ measure (0: exact values). antialiasing: also leave out pixels
    pixelmatch's anti-aliasing detection finds. max_diff_pixels / max_diff_ratio: how many counted pixels
    (or what fraction of all pixels) may differ and still pass; 0 is "not set", and when both are set
    the smaller allowance holds (as Playwright's toHaveScreenshot). deep_tolerance: for I;16, I and F, the
    largest absolute difference in the mode's own units that is still equal. ignore: regions left out;
    mask: a file whose non-zero pixels are left out."""

    threshold: float = 0.0
    antialiasing: bool = False
    max_diff_pixels: int = 0
    max_diff_ratio: float = 0.0
    deep_tolerance: float = 0.0
    ignore: tuple[Region, ...] = ()
    mask: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.threshold, (int, float)) and 0 <= self.threshold <= 1):
            raise ToleranceError(f"the threshold must be between 0 and 1, not {self.threshold!r}")
        if not (isinstance(self.max_diff_pixels, int) and self.max_diff_pixels >= 0):
            raise ToleranceError(f"the number of pixels allowed to differ must be 0 or more, "
                                 f"not {self.max_diff_pixels!r}")
        if not (isinstance(self.max_diff_ratio, (int, float)) and 0 <= self.max_diff_ratio <= 1):
            raise ToleranceError(f"the fraction of pixels allowed to differ must be between 0 and 1, "
                                 f"not {self.max_diff_ratio!r}")
        if not (isinstance(self.deep_tolerance, (int, float)) and math.isfinite(self.deep_tolerance)
                and self.deep_tolerance >= 0):
            raise ToleranceError(f"the tolerance must be a number of 0 or more, not {self.deep_tolerance!r}")

    @property
    def perceptual(self) -> bool:
        """Whether colours are compared with pixelmatch's measure (as RGBA) rather than value by value."""
        return self.threshold > 0 or self.antialiasing

    def allowed(self, total: int) -> int:
        """How many counted pixels may differ in an image of total pixels and still pass."""
        limits = []
        if self.max_diff_pixels:
            limits.append(self.max_diff_pixels)
        if self.max_diff_ratio:
            limits.append(math.floor(self.max_diff_ratio * total + 1e-9))
        return min(limits) if limits else 0

    def with_regions(self, regions: tuple[Region, ...]) -> Tolerances:
        return replace(self, ignore=regions)

    def describe(self) -> str:
        """The tolerances in a few words, for a summary line ('' when exact)."""
        parts = []
        if self.threshold:
            parts.append(f"threshold {self.threshold:g}")
        if self.antialiasing:
            parts.append("anti-aliasing ignored")
        if self.deep_tolerance:
            parts.append(f"tolerance {self.deep_tolerance:g}")
        if self.max_diff_pixels:
            parts.append(f"up to {self.max_diff_pixels} pixels")
        if self.max_diff_ratio:
            parts.append(f"up to {self.max_diff_ratio:.4g} of the pixels")
        if self.ignore:
            parts.append(f"{len(self.ignore)} region{'s' if len(self.ignore) != 1 else ''} ignored")
        if self.mask:
            parts.append("a mask")
        return ", ".join(parts)


EXACT = Tolerances()  # the default: every value equal, nothing ignored
