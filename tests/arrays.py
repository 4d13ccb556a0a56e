"""Deterministic numpy arrays of every shape and dtype imgshare carries, and OpenCV pictures."""

from __future__ import annotations

import hashlib

import numpy as np

# case -> (shape, dtype, carried mode)
CASES = {
    "bool": ((61, 77), np.bool_, "1"),
    "uint8": ((61, 77), np.uint8, "L"),
    "uint16": ((61, 77), np.uint16, "I;16"),
    "int32": ((61, 77), np.int32, "I"),
    "float32": ((61, 77), np.float32, "F"),
    "la": ((61, 77, 2), np.uint8, "LA"),
    "rgb": ((61, 77, 3), np.uint8, "RGB"),
    "rgba": ((61, 77, 4), np.uint8, "RGBA"),
}


def make_array(case: str, seed: int = 1) -> np.ndarray:
    shape, dtype, _ = CASES[case]
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype is np.float32:
        return rng.uniform(-1e6, 1e6, size=shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def opencv_picture(case: str) -> np.ndarray:
    """A BGR (case "bgr") or BGRA (case "bgra") picture drawn with OpenCV, as an OpenCV program has one."""
    import cv2
    picture = np.zeros((211, 317, 3), np.uint8)
    cv2.rectangle(picture, (10, 20), (200, 150), (255, 0, 0), -1)  # blue in OpenCV's order
    cv2.circle(picture, (250, 100), 40, (0, 0, 255), -1)  # red
    cv2.putText(picture, "imgshare", (20, 190), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 255, 0), 2)
    if case == "bgra":
        picture = cv2.cvtColor(picture, cv2.COLOR_BGR2BGRA).astype(np.uint8)
        picture[:, :100, 3] = 128
    return picture


def fingerprint(array: np.ndarray) -> str:
    """Shape, dtype and pixels, as one short string (equal fingerprints: identical arrays)."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha1(contiguous.tobytes()).hexdigest()[:16]
    return f"{'x'.join(map(str, array.shape))}:{np.dtype(array.dtype).str}:{digest}"
