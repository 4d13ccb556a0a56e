"""Frames of known content for the GStreamer tests: what a sender shares as frame n, GStreamer's row
layout, and the check that a buffer imgsharesrc output is frame n, whole and in the right format."""

from __future__ import annotations

import numpy as np

# GStreamer format -> (numpy dtype, channels, the `channels=` a Sender takes for it)
FORMATS: dict[str, tuple[str, int, str | None]] = {
    "GRAY8": ("u1", 1, None), "GRAY16_LE": ("<u2", 1, None), "RGB": ("u1", 3, None), "BGR": ("u1", 3, "BGR"),
    "RGBA": ("u1", 4, None), "BGRA": ("u1", 4, "BGRA"), "RGBA64_LE": ("<u2", 4, None), "BGRA64_LE": ("<u2", 4, "BGRA"),
}
# imgshare mode of each format (BGR orders travel as RGB/RGBA with the BGR flag)
MODES = {"GRAY8": "L", "GRAY16_LE": "I;16", "RGB": "RGB", "BGR": "RGB", "RGBA": "RGBA", "BGRA": "RGBA",
         "RGBA64_LE": "RGBA;16", "BGRA64_LE": "RGBA;16"}

# A sender whose size and format change every second at 60 frames/s: (width, height, format) per second.
# Widths whose rows are not multiples of 4 bytes make GStreamer's row stride differ from imgshare's.
CHANGING = ((101, 37, "RGB"), (64, 48, "GRAY8"), (33, 21, "BGRA"), (80, 45, "GRAY16_LE"))
PER_STEP = 60


def changing_shape(n: int) -> tuple[int, int, str]:
    """(width, height, format) of frame n (from 0) of the changing sender."""
    return CHANGING[(n // PER_STEP) % len(CHANGING)]


def pattern(n: int, width: int, height: int, fmt: str) -> np.ndarray:
    """Frame n: each sample (n + x + 3y + 5c) mod 256 (16-bit: that value in both bytes), so frame n's
    first sample is n mod 256, and a row out of place or a torn frame shows."""
    dtype, channels, _ = FORMATS[fmt]
    y, x, c = np.ogrid[:height, :width, :channels]
    values = (n + x + 3 * y + 5 * c) % 256
    if np.dtype(dtype).itemsize == 2:
        values = values * 257
    array = values.astype(dtype)
    return array[:, :, 0] if channels == 1 else array


def gst_stride(fmt: str, width: int) -> int:
    """GStreamer's default row stride: whole pixels, rounded up to 4 bytes."""
    dtype, channels, _ = FORMATS[fmt]
    return (width * channels * np.dtype(dtype).itemsize + 3) // 4 * 4


def rows_of(data: bytes, fmt: str, width: int, height: int, stride: int | None = None) -> np.ndarray:
    """The pixels of a raw buffer with rows of stride bytes (GStreamer's default if None)."""
    dtype, channels, _ = FORMATS[fmt]
    stride = stride or gst_stride(fmt, width)
    row = width * channels * np.dtype(dtype).itemsize
    assert len(data) >= stride * (height - 1) + row, f"{len(data)} bytes cannot hold {width}x{height} {fmt}"
    raw = np.frombuffer(data, np.uint8, count=stride * (height - 1) + row)
    lines = np.stack([raw[y * stride:y * stride + row] for y in range(height)])
    pixels = lines.view(np.dtype(dtype))
    return pixels.reshape(height, width) if channels == 1 else pixels.reshape(height, width, channels)


def changing_frame(data: bytes) -> int:
    """The number of the changing sender's frame in a raw buffer imgsharesrc output (GStreamer's strides);
    fails the test unless the buffer is exactly that frame, in its size and format. Frames 0 to 255 only:
    the first sample names the frame."""
    n = data[0]
    width, height, fmt = changing_shape(n)
    assert len(data) == gst_stride(fmt, width) * height, f"frame {n}: {len(data)} bytes, not {width}x{height} {fmt}"
    assert np.array_equal(rows_of(data, fmt, width, height), pattern(n, width, height, fmt)), f"frame {n} differs"
    return n
