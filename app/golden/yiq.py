"""pixelmatch's colour measure and anti-aliasing detector, over numpy arrays of RGBA pixels.

The measure (Kotsarenko and Ramos' YIQ distance, colours blended over white by their alpha) and the
detector (Vysniauskas' anti-aliased pixel and intensity slope detector) follow pixelmatch 7 with
`checkerboard: false`, in the same float64 arithmetic and the same order of operations, so a pixel
counts here exactly when it counts there. The tests check the counts against pixelmatch itself.
"""

from __future__ import annotations

import numpy as np

MAX_YIQ_DELTA = 35215.0  # the largest value the measure takes (black against white)

# The 8 neighbours in pixelmatch's visiting order (x outer, y inner): ties go to the first one.
_NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]


def max_delta(threshold: float) -> float:
    """The largest measure two colours may have and still be equal at threshold (0..1)."""
    return MAX_YIQ_DELTA * threshold * threshold


def _blended_differences(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dr, dg, db) of pixels p and q ((n, 4) uint8) after blending each over white by its alpha."""
    p, q = p.astype(np.float64), q.astype(np.float64)
    dr, dg, db = p[:, 0] - q[:, 0], p[:, 1] - q[:, 1], p[:, 2] - q[:, 2]
    translucent = (p[:, 3] < 255) | (q[:, 3] < 255)
    if translucent.any():
        a1, a2 = p[:, 3], q[:, 3]
        da = a1 - a2
        dr = np.where(translucent, (p[:, 0] * a1 - q[:, 0] * a2 - 255 * da) / 255, dr)
        dg = np.where(translucent, (p[:, 1] * a1 - q[:, 1] * a2 - 255 * da) / 255, dg)
        db = np.where(translucent, (p[:, 2] * a1 - q[:, 2] * a2 - 255 * da) / 255, db)
    return dr, dg, db


def colour_delta(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The squared YIQ distance of each pair of pixels ((n, 4) uint8 each; pairs assumed unequal)."""
    dr, dg, db = _blended_differences(p, q)
    y = dr * 0.29889531 + dg * 0.58662247 + db * 0.11448223
    i = dr * 0.59597799 - dg * 0.27417610 - db * 0.32180189
    q_ = dr * 0.21147017 - dg * 0.52261711 + db * 0.31114694
    return 0.5053 * y * y + 0.299 * i * i + 0.1957 * q_ * q_


def _brightness_delta(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Y (brightness) difference of p over q; exactly 0 where the pixels are equal."""
    dr, dg, db = _blended_differences(p, q)
    y = dr * 0.29889531 + dg * 0.58662247 + db * 0.11448223
    return np.where((p == q).all(axis=1), 0.0, y)


def _inside(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    return (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)


def _on_edge(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    edge: np.ndarray = ((xs == 0) | (xs == width - 1) | (ys == 0) | (ys == height - 1)).astype(np.int64)
    return edge


def _has_many_siblings(words: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Whether each pixel (xs, ys) of words ((H, W) uint32 RGBA) has 3 or more equal neighbours,
    counting the image's edge as one."""
    height, width = words.shape
    count = _on_edge(xs, ys, width, height)
    centre = words[ys, xs]
    for dx, dy in _NEIGHBOURS:
        nx, ny = xs + dx, ys + dy
        inside = _inside(nx, ny, width, height)
        same = words[np.clip(ny, 0, height - 1), np.clip(nx, 0, width - 1)] == centre
        count += (inside & same).astype(np.int64)
    return count > 2


def antialiased(image: np.ndarray, words: np.ndarray, other_words: np.ndarray,
                xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Whether each pixel (xs, ys) of image ((H, W, 4) uint8; words is the same as (H, W) uint32) is
    likely anti-aliasing: few equal neighbours, both a darker and a brighter one, and the darkest or
    the brightest of them inside a flat area in both images."""
    height, width = words.shape
    n = xs.size
    centre = image[ys, xs]
    zeroes = _on_edge(xs, ys, width, height)
    deltas = np.zeros((n, len(_NEIGHBOURS)))
    for k, (dx, dy) in enumerate(_NEIGHBOURS):
        nx, ny = xs + dx, ys + dy
        inside = _inside(nx, ny, width, height)
        neighbour = image[np.clip(ny, 0, height - 1), np.clip(nx, 0, width - 1)]
        delta = _brightness_delta(centre, neighbour)
        zeroes += (inside & (delta == 0)).astype(np.int64)
        deltas[:, k] = np.where(inside, delta, 0.0)
    darkest, brightest = deltas.argmin(axis=1), deltas.argmax(axis=1)  # first of equals, as pixelmatch
    rows = np.arange(n)
    slope = (zeroes <= 2) & (deltas[rows, darkest] < 0) & (deltas[rows, brightest] > 0)
    result = np.zeros(n, dtype=bool)
    if not slope.any():
        return result
    offsets = np.array(_NEIGHBOURS)
    pick = np.flatnonzero(slope)
    flat = []
    for index in (darkest, brightest):
        fx, fy = xs[pick] + offsets[index[pick], 0], ys[pick] + offsets[index[pick], 1]
        flat.append(_has_many_siblings(words, fx, fy) & _has_many_siblings(other_words, fx, fy))
    result[pick] = flat[0] | flat[1]
    return result
