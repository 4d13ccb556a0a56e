"""Pixel data for the C tests: unpadded rows of every mode, as numpy arrays and as the bytes the C tool
reads and writes."""

from __future__ import annotations

import numpy as np

MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "RGB;16", "RGBA;16")
SIZES = ((1, 1), (2000, 3), (317, 211))
_BITS = {"1": 1, "L": 8, "LA": 16, "P": 8, "RGB": 24, "RGBA": 32, "I;16": 16, "I": 32, "F": 32, "RGB;16": 48,
         "RGBA;16": 64}
_ARRAY = {"L": ("u1", 0), "P": ("u1", 0), "LA": ("u1", 2), "RGB": ("u1", 3), "RGBA": ("u1", 4), "I;16": ("<u2", 0),
          "I": ("<i4", 0), "F": ("<f4", 0), "RGB;16": ("<u2", 3), "RGBA;16": ("<u2", 4)}


def row_bytes(mode: str, width: int) -> int:
    return (width * _BITS[mode] + 7) // 8


def random_rows(mode: str, width: int, height: int, seed: int) -> bytes:
    """Unpadded rows of random pixels (mode 1: the unused low bits of each row zero; F: finite values)."""
    rng = np.random.default_rng(seed)
    if mode == "F":
        return rng.uniform(-1e6, 1e6, size=width * height).astype("<f4").tobytes()
    row = row_bytes(mode, width)
    data = rng.integers(0, 256, size=(height, row), dtype=np.uint8)
    if mode == "1" and width % 8:
        data[:, -1] &= (0xFF << (8 - width % 8)) & 0xFF
    return data.tobytes()


def as_array(mode: str, width: int, height: int, rows: bytes) -> np.ndarray:
    """The array Receiver.receive_array() gives for these rows (mode 1: bools; P: the indices)."""
    if mode == "1":
        packed = np.frombuffer(rows, dtype=np.uint8).reshape(height, row_bytes(mode, width))
        return np.unpackbits(packed, axis=1, count=width).astype(bool)
    dtype, channels = _ARRAY[mode]
    shape = (height, width, channels) if channels else (height, width)
    return np.frombuffer(rows, dtype=np.dtype(dtype)).reshape(shape)


def follow_pattern(sequence: int, length: int) -> bytes:
    """The bytes of image `sequence` in the C tool's stream and follow commands: (7 * sequence + i) & 255."""
    return ((7 * sequence + np.arange(length, dtype=np.int64)) & 0xFF).astype(np.uint8).tobytes()
