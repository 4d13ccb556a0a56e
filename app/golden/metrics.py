"""PSNR over R, G and B, and SSIM on the luma, for 8-bit images.

SSIM follows Wang et al. 2004 as scikit-image's structural_similarity computes it with
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255: an 11-tap Gaussian
window, K1 0.01, K2 0.03, the mean of the SSIM map without its 5-pixel border. Only windows wholly
inside the image are used, so no padding rule is needed. Ignored pixels are left out of both means.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

DATA_RANGE = 255.0
SIGMA = 1.5
RADIUS = 5  # scikit-image: truncate 3.5 x sigma 1.5, rounded: an 11-tap window
C1 = (0.01 * DATA_RANGE) ** 2
C2 = (0.03 * DATA_RANGE) ** 2
_ROWS_PER_STRIP = 256


def _weights() -> np.ndarray:
    taps = np.arange(-RADIUS, RADIUS + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (taps / SIGMA) ** 2)
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def psnr(actual: Image.Image, expected: Image.Image, keep: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio of the R, G and B values, in dB (inf when they are equal)."""
    a = np.asarray(actual.convert("RGB"), dtype=np.float64)
    b = np.asarray(expected.convert("RGB"), dtype=np.float64)
    squared = (a - b) ** 2
    if keep is not None:
        squared = squared[keep]
    if squared.size == 0:
        return math.inf
    mse = float(squared.mean())
    return math.inf if mse == 0 else 10 * math.log10(DATA_RANGE ** 2 / mse)


def _filter_valid(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The separable Gaussian of image where the whole window fits: (h - 10, w - 10)."""
    taps = weights.size
    height, width = image.shape
    across = np.zeros((height, width - taps + 1))
    for k in range(taps):
        across += weights[k] * image[:, k:k + width - taps + 1]
    down = np.zeros((height - taps + 1, width - taps + 1))
    for k in range(taps):
        down += weights[k] * across[k:k + height - taps + 1]
    return down


def ssim(actual: Image.Image, expected: Image.Image, keep: np.ndarray | None = None,
         progress: Callable[[float], None] | None = None) -> float | None:
    """Mean structural similarity of the two images' luma (Pillow's convert("L")); None when an image
    is smaller than the 11x11 window, or every pixel is ignored."""
    x = np.asarray(actual.convert("L"), dtype=np.float64)
    y = np.asarray(expected.convert("L"), dtype=np.float64)
    height, width = x.shape
    taps = 2 * RADIUS + 1
    if height < taps or width < taps:
        return None
    weights = _weights()
    total, count = 0.0, 0
    inner = height - 2 * RADIUS  # rows of the SSIM map that are kept
    for start in range(0, inner, _ROWS_PER_STRIP):
        stop = min(inner, start + _ROWS_PER_STRIP)
        xs, ys = x[start:stop + 2 * RADIUS], y[start:stop + 2 * RADIUS]
        ux, uy = _filter_valid(xs, weights), _filter_valid(ys, weights)
        vx = _filter_valid(xs * xs, weights) - ux * ux
        vy = _filter_valid(ys * ys, weights) - uy * uy
        vxy = _filter_valid(xs * ys, weights) - ux * uy
        index = ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2))
        if keep is not None:
            kept = keep[start + RADIUS:stop + RADIUS, RADIUS:width - RADIUS]
            total += float(index[kept].sum())
            count += int(np.count_nonzero(kept))
        else:
            total += float(index.sum())
            count += index.size
        if progress is not None:
            progress(stop / inner)
    return total / count if count else None
