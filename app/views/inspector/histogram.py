"""Histograms of an image's values (no Tk): per channel for 8-bit modes, 256 bins over the value range
for 16-bit, 32-bit and float images. Run in a worker for big images (it reads every pixel)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from ...image16 import Image16
from ..imageview.display import DEEP_MODES, value_range

BINS = 256


@dataclass(frozen=True)
class Channel:
    """One channel's counts, BINS of them from low to high."""

    name: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Histogram:
    """The channels of an image and the value range the bins cover (low..high inclusive)."""

    channels: tuple[Channel, ...]
    low: float
    high: float


def histogram(image: Image.Image | Image16) -> Histogram:
    """The histogram of image as received (a palette image by the colours its palette gives; 16-bit
    colour by the true values of each channel, 0..65535)."""
    if isinstance(image, Image16):
        return _wide(image)
    if image.mode in DEEP_MODES:
        return _deep(image)
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")
    counts = image.histogram()
    names = image.getbands()
    return Histogram(tuple(Channel(name, tuple(counts[BINS * i:BINS * (i + 1)])) for i, name in enumerate(names)),
                     0.0, 255.0)


def _wide(image: Image16) -> Histogram:
    """256 bins over 0..65535 for each channel of a 16-bit colour image."""
    channels = []
    for name, band in zip("RGBA", image.split(), strict=False):
        counts = band.convert("I").histogram(extrema=(0, 65536))
        channels.append(Channel(name, tuple(counts)))
    return Histogram(tuple(channels), 0.0, 65535.0)


def _deep(image: Image.Image) -> Histogram:
    """256 bins from the lowest to the highest finite value (one bin when all are the same)."""
    if image.mode != "F":
        image = image.convert("I")
    found = value_range(image)
    if found is None:
        return Histogram((Channel("value", (0,) * BINS),), 0.0, 0.0)
    low, high = found
    if image.mode == "I":
        counts = image.histogram(extrema=(int(low), int(high) if high > low else int(low) + 1))
    else:
        counts = image.histogram(extrema=(low, high if high > low else low + 1.0))
    return Histogram((Channel("value", tuple(counts)),), low, high)
