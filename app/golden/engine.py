"""Compare two images under tolerances, a strip of rows at a time (see strips.py): each strip is a few
milliseconds of numpy work, so a window's thread runs between them and progress can be reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from PIL import Image

from ..strips import STRIP_PIXELS
from . import pixels, yiq
from .pixels import Family, Picture
from .regions import ignore_mask
from .result import CompareResult, Largest, Verdict
from .tolerances import EXACT, ToleranceError, Tolerances

Progress = Callable[[float], None]  # called with the fraction done, 0..1


class _Scan(Protocol):
    """One way of finding differing pixels (exact, deep, perceptual)."""

    values_differ: bool  # whether any value differed so far, counted or not

    def strip(self, top: int, bottom: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Counted pixels of rows top..bottom, and those left out as anti-aliasing (or None)."""

    def largest(self, counted: np.ndarray) -> Largest:
        """Per channel, the largest difference among the counted pixels."""


def compare_images(actual: Picture, expected: Picture, tolerances: Tolerances = EXACT, *,
                   metrics: bool = False, progress: Progress | None = None) -> CompareResult:
    """Compare actual with expected (both already in a carried mode) under tolerances."""
    def found(verdict: Verdict, **more: object) -> CompareResult:
        return CompareResult(verdict, actual.size, actual.mode, expected.size, expected.mode, tolerances,
                             expected=expected, **more)  # type: ignore[arg-type]

    if actual.size != expected.size:
        return found(Verdict.SIZE_DIFFERS)
    rule, expected_rule = pixels.rule_for(actual.mode), pixels.rule_for(expected.mode)
    scan: _Scan
    if tolerances.perceptual:
        if Family.DEEP in (rule.family, expected_rule.family):
            deep = actual.mode if rule.family is Family.DEEP else expected.mode
            raise ToleranceError("a threshold and anti-aliasing apply to 8-bit images (1, L, LA, P, RGB, "
                                 f"RGBA), and this one is {deep}; for I;16, I and F and for 16-bit colour give "
                                 "an absolute tolerance")
        assert isinstance(actual, Image.Image) and isinstance(expected, Image.Image)  # 8-bit modes: Pillow's
        scan = _Perceptual(actual, expected, tolerances)
    else:
        if actual.mode != expected.mode:
            return found(Verdict.MODE_DIFFERS)
        if tolerances.deep_tolerance and rule.family is not Family.DEEP:
            raise ToleranceError(f"an absolute tolerance applies to I;16, I and F images and to 16-bit colour, and "
                                 f"this one is {actual.mode}; for 8-bit images give a threshold (0..1)")
        scan = _Deep(actual, expected, tolerances) if rule.family is Family.DEEP else _Exact(actual, expected)
    ignored = ignore_mask(actual.size, tolerances)
    height = actual.height
    counted = np.zeros((height, actual.width), dtype=bool)
    aa = np.zeros_like(counted) if tolerances.antialiasing else None
    rows = max(1, STRIP_PIXELS // max(1, actual.width))
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        strip, strip_aa = scan.strip(top, bottom)
        if ignored is not None:
            strip &= ~ignored[top:bottom]
            if strip_aa is not None:
                strip_aa &= ~ignored[top:bottom]
        counted[top:bottom] = strip
        if aa is not None and strip_aa is not None:
            aa[top:bottom] = strip_aa
        if progress is not None:
            progress(bottom / height * (0.5 if metrics else 1.0))
    differing = int(np.count_nonzero(counted))
    more: dict[str, object] = {
        "differing": differing, "ignored": int(np.count_nonzero(ignored)) if ignored is not None else 0,
        "antialiased": int(np.count_nonzero(aa)) if aa is not None else 0,
        "allowed": tolerances.allowed(actual.width * actual.height), "largest": scan.largest(counted),
        "mask": counted, "ignored_mask": ignored, "antialiased_mask": aa,
        "keys": (actual.info.get("transparency"), expected.info.get("transparency"))}
    if metrics and Family.DEEP not in (rule.family, expected_rule.family):
        assert isinstance(actual, Image.Image) and isinstance(expected, Image.Image)  # 8-bit modes: Pillow's
        from .metrics import psnr, ssim
        keep = ~ignored if ignored is not None else None
        more["psnr"] = psnr(actual, expected, keep)
        more["ssim"] = ssim(actual, expected, keep,
                            progress=(lambda done: progress(0.5 + done / 2)) if progress else None)
    if differing:
        return found(Verdict.PIXELS_DIFFER, **more)
    if scan.values_differ:
        return found(Verdict.WITHIN_TOLERANCE, **more)
    if actual.mode == "P" and isinstance(actual, Image.Image) and isinstance(expected, Image.Image) \
            and pixels.palette_facts(actual) != pixels.palette_facts(expected):
        return found(Verdict.PALETTE_DIFFERS, **more)
    if rule.colour_key and actual.info.get("transparency") != expected.info.get("transparency"):
        return found(Verdict.TRANSPARENCY_DIFFERS, **more)
    return found(Verdict.EXACT, **more)


class _Exact:
    """Same mode, 8-bit channels: a pixel differs when any value differs, or the colour key makes it
    transparent on one side only."""

    def __init__(self, actual: Picture, expected: Picture):
        self.a, self.b = pixels.values(actual), pixels.values(expected)
        self.key_a = pixels.key_transparent(actual, self.a)
        self.key_b = pixels.key_transparent(expected, self.b)
        self.names = pixels.rule_for(actual.mode).channels
        self.values_differ = False

    def strip(self, top: int, bottom: int) -> tuple[np.ndarray, None]:
        a, b = self.a[top:bottom], self.b[top:bottom]
        if a.shape[2] == 4:  # a pixel as one 32-bit word: one comparison instead of four
            differs = pixels.words(a) != pixels.words(b)
        else:  # channel by channel: numpy's any() along a short last axis is several times slower
            unequal = a != b
            differs = unequal[:, :, 0].copy()
            for channel in range(1, a.shape[2]):
                differs |= unequal[:, :, channel]
        if self.key_a is not None or self.key_b is not None:
            height, width = differs.shape
            none = np.zeros((height, width), dtype=bool)
            ka = self.key_a[top:bottom] if self.key_a is not None else none
            kb = self.key_b[top:bottom] if self.key_b is not None else none
            differs |= ka != kb
        self.values_differ = self.values_differ or bool(differs.any())
        return differs, None

    def largest(self, counted: np.ndarray) -> Largest:
        if not counted.any():
            return ()
        a, b = self.a[counted].astype(np.int64), self.b[counted].astype(np.int64)
        high = np.abs(a - b).max(axis=0)
        largest = tuple((name, float(value)) for name, value in zip(self.names, high, strict=True))
        if self.key_a is not None or self.key_b is not None:  # the colour key decides the alpha
            none = np.zeros(counted.shape, dtype=bool)
            ka = self.key_a if self.key_a is not None else none
            kb = self.key_b if self.key_b is not None else none
            largest += (("A", 255.0 if (ka[counted] != kb[counted]).any() else 0.0),)
        return largest


class _Deep:
    """I;16, I and F: one number per pixel, equal within the absolute tolerance; a NaN equals only a
    NaN at the same place. 16-bit colour: each channel so, a pixel differing when any channel does."""

    def __init__(self, actual: Picture, expected: Picture, tolerances: Tolerances):
        self.a, self.b = pixels.values(actual), pixels.values(expected)
        self.names = pixels.rule_for(actual.mode).channels
        self.float = actual.mode == "F"
        self.tolerance = tolerances.deep_tolerance
        self.values_differ = False

    def _difference(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        difference: np.ndarray = np.abs(a.astype(np.float64) - b) if self.float else np.abs(a.astype(np.int64) - b)
        return difference

    def strip(self, top: int, bottom: int) -> tuple[np.ndarray, None]:
        a, b = self.a[top:bottom], self.b[top:bottom]
        if self.float:
            a_nan, b_nan = np.isnan(a), np.isnan(b)
            with np.errstate(invalid="ignore"):
                unequal = (a != b) & ~(a_nan & b_nan)
                beyond = (self._difference(a, b) > self.tolerance) | (a_nan != b_nan)
        else:
            unequal = a != b
            beyond = self._difference(a, b) > self.tolerance if self.tolerance else unequal
        both = beyond & unequal
        counted = both[:, :, 0] if both.shape[2] == 1 else both.any(axis=2)
        self.values_differ = self.values_differ or bool(unequal.any())
        return counted, None

    def largest(self, counted: np.ndarray) -> Largest:
        if not counted.any():
            return ()
        difference = self._difference(self.a[counted], self.b[counted])  # (pixels, channels)
        return tuple((name, float(np.nanmax(column)) if not np.isnan(column).all() else 0.0)
                     for name, column in zip(self.names, difference.T, strict=True))


class _Perceptual:
    """pixelmatch's measure over RGBA: a pixel differs when its YIQ distance exceeds the threshold's,
    unless (with anti-aliasing on) either image's pixel looks like anti-aliasing."""

    def __init__(self, actual: Image.Image, expected: Image.Image, tolerances: Tolerances):
        self.a, self.b = pixels.rgba(actual), pixels.rgba(expected)
        self.wa, self.wb = pixels.words(self.a), pixels.words(self.b)
        self.limit = yiq.max_delta(tolerances.threshold)
        self.antialiasing = tolerances.antialiasing
        self.values_differ = False

    def strip(self, top: int, bottom: int) -> tuple[np.ndarray, np.ndarray | None]:
        width = self.wa.shape[1]
        unequal = self.wa[top:bottom] != self.wb[top:bottom]
        counted = np.zeros_like(unequal)
        aa = np.zeros_like(unequal) if self.antialiasing else None
        where = np.flatnonzero(unequal)
        if where.size == 0:
            return counted, aa
        self.values_differ = True
        ys, xs = where // width + top, where % width
        delta = yiq.colour_delta(self.a[ys, xs], self.b[ys, xs])
        beyond = np.abs(delta) > self.limit
        ys, xs, where = ys[beyond], xs[beyond], where[beyond]
        if aa is not None and where.size:
            smooth = (yiq.antialiased(self.a, self.wa, self.wb, xs, ys)
                      | yiq.antialiased(self.b, self.wb, self.wa, xs, ys))
            aa.flat[where[smooth]] = True
            where = where[~smooth]
        counted.flat[where] = True
        return counted, aa

    def largest(self, counted: np.ndarray) -> Largest:
        if not counted.any():
            return ()
        high = np.abs(self.a[counted].astype(np.int16) - self.b[counted]).max(axis=0)
        return tuple((name, float(value)) for name, value in zip("RGBA", high, strict=True))
