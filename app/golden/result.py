"""What a golden-image check found: a typed verdict, the counts, the metrics, and where pixels differ."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from .tolerances import Tolerances

_FLOAT_EXACT_DIGITS = 9  # float32 values written with enough digits to tell any two apart

Largest = tuple[tuple[str, float], ...]  # (channel name, largest absolute difference) per channel


class Verdict(enum.Enum):
    """What a comparison found (whether it passes also depends on how many pixels may differ)."""

    EXACT = "exact"  # every value equal (and the palette and transparency)
    WITHIN_TOLERANCE = "within tolerance"  # values differ, but no pixel beyond the tolerances
    PIXELS_DIFFER = "pixels differ"  # some pixels differ beyond the tolerances
    SIZE_DIFFERS = "size differs"
    MODE_DIFFERS = "mode differs"
    PALETTE_DIFFERS = "palette differs"
    TRANSPARENCY_DIFFERS = "transparency differs"

    @property
    def exact(self) -> bool:
        return self is Verdict.EXACT


@dataclass(frozen=True)
class CompareResult:
    """The outcome of comparing an actual image with an expected one.

    differing: pixels counted as different (not ignored, beyond the tolerances); ignored: pixels inside
    ignore regions or the mask; antialiased: pixels left out as anti-aliasing; allowed: how many may
    differ and still pass. largest: per channel, the largest absolute difference among counted pixels,
    in the mode's own units. psnr (dB, inf when equal) and ssim: with metrics, for 8-bit images.
    mask: (H, W) bool, True where a pixel counts as different (None when sizes differ)."""

    verdict: Verdict
    size: tuple[int, int]
    mode: str
    expected_size: tuple[int, int]
    expected_mode: str
    tolerances: Tolerances = Tolerances()
    differing: int = 0
    ignored: int = 0
    antialiased: int = 0
    allowed: int = 0
    largest: Largest = ()
    psnr: float | None = None
    ssim: float | None = None
    keys: tuple[Any, Any] = (None, None)  # the colour keys (info["transparency"]) of actual and expected
    mask: np.ndarray | None = field(default=None, repr=False, compare=False)
    ignored_mask: np.ndarray | None = field(default=None, repr=False, compare=False)
    antialiased_mask: np.ndarray | None = field(default=None, repr=False, compare=False)
    expected: Image.Image | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        if self.verdict in (Verdict.EXACT, Verdict.WITHIN_TOLERANCE):
            return True
        return self.verdict is Verdict.PIXELS_DIFFER and self.differing <= self.allowed

    @property
    def exact(self) -> bool:
        return self.verdict.exact

    @property
    def total(self) -> int:
        return self.size[0] * self.size[1]

    @property
    def ratio(self) -> float:
        """The fraction of all pixels that count as different."""
        return self.differing / max(1, self.total)

    @property
    def diff(self) -> Image.Image | None:
        """The picture of the differences: the expected image faded to grey, counted pixels in red,
        anti-aliasing in yellow, ignored regions tinted blue (None when the sizes differ)."""
        if self.mask is None or self.expected is None:
            return None
        from .picture import diff_picture
        return diff_picture(self.expected, self.mask, self.ignored_mask, self.antialiased_mask)

    def bounding_box(self) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) around every counted pixel, right and bottom excluded; or None."""
        if self.mask is None or not self.differing:
            return None
        rows, columns = np.flatnonzero(self.mask.any(axis=1)), np.flatnonzero(self.mask.any(axis=0))
        return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1

    def summary(self) -> str:
        """One line for people: 'pixel-exact: 640x480 RGB', 'passes: ...' or what differs."""
        width, height = self.size
        if self.verdict is Verdict.EXACT:
            return f"pixel-exact: {width}x{height} {self.mode}" + self._metrics_text()
        if self.verdict is Verdict.SIZE_DIFFERS:
            return (f"differs: the size is {width}x{height}, "
                    f"expected {self.expected_size[0]}x{self.expected_size[1]}")
        if self.verdict is Verdict.MODE_DIFFERS:
            return f"differs: the mode is {self.mode}, expected {self.expected_mode}"
        if self.verdict is Verdict.PALETTE_DIFFERS:
            return "differs: the same palette indices, but the palettes differ"
        if self.verdict is Verdict.TRANSPARENCY_DIFFERS:
            return (f"differs: the same values, but the transparent colour is {_shown_key(self.keys[0])}, "
                    f"expected {_shown_key(self.keys[1])}")
        how = self.tolerances.describe()
        within = f" ({how})" if how else ""
        if self.verdict is Verdict.WITHIN_TOLERANCE:
            return (f"passes: no pixel differs beyond the tolerances{within}; "
                    f"{width}x{height} {self.mode}{self._ignored_text()}" + self._metrics_text())
        largest = ", ".join(f"{name} {write_number(value)}" for name, value in self.largest)
        counted = f"{self.differing} of {self.total} pixels ({percent(self.differing, self.total)})"
        allowed = f", {self.allowed} allowed" if self.allowed else ""
        head = f"passes: {counted} differ{allowed}" if self.passed else f"differs: {counted}{allowed}"
        return f"{head}; largest difference {largest}{self._ignored_text()}" + self._metrics_text()

    def _ignored_text(self) -> str:
        extra = f", {self.antialiased} anti-aliased" if self.antialiased else ""
        return f" ({self.ignored} ignored{extra})" if self.ignored else (f" ({self.antialiased} anti-aliased)"
                                                                         if self.antialiased else "")

    def _metrics_text(self) -> str:
        if self.psnr is None and self.ssim is None:
            return ""
        parts = []
        if self.psnr is not None:
            parts.append("PSNR inf dB" if math.isinf(self.psnr) else f"PSNR {self.psnr:.2f} dB")
        if self.ssim is not None:
            parts.append(f"SSIM {self.ssim:.4f}")
        return "; " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The facts for --json and reports (PSNR null when infinite: the images are equal)."""
        psnr = None if self.psnr is None or math.isinf(self.psnr) else round(self.psnr, 4)
        return {"passed": self.passed, "exact": self.exact, "verdict": self.verdict.value,
                "size": list(self.size), "mode": self.mode, "expected_size": list(self.expected_size),
                "expected_mode": self.expected_mode, "differing_pixels": self.differing,
                "ignored_pixels": self.ignored, "antialiased_pixels": self.antialiased,
                "allowed_pixels": self.allowed, "total_pixels": self.total, "ratio": self.ratio,
                "largest_difference": {name: _number(value) for name, value in self.largest}, "psnr": psnr,
                "ssim": None if self.ssim is None else round(self.ssim, 6),
                "tolerances": tolerances_dict(self.tolerances)}


def tolerances_dict(tolerances: Tolerances) -> dict[str, Any]:
    return {"threshold": tolerances.threshold, "antialiasing": tolerances.antialiasing,
            "max_diff_pixels": tolerances.max_diff_pixels, "max_diff_ratio": tolerances.max_diff_ratio,
            "tolerance": tolerances.deep_tolerance, "ignore": [r.as_list() for r in tolerances.ignore],
            "mask": tolerances.mask}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _shown_key(key: Any) -> str:
    return "none" if key is None else str(key)


def write_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.{_FLOAT_EXACT_DIGITS}g}"


def percent(part: int, whole: int) -> str:
    share = 100.0 * part / max(1, whole)
    return f"{share:.2f}%" if share >= 0.01 or part == 0 else "<0.01%"
