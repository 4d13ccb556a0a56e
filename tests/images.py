"""Deterministic test images of every carried mode, with sizes that are not powers of two."""

from __future__ import annotations

import hashlib
import random

from PIL import Image

from imgshare.image16 import Image16

CARRIED = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"]


def make_image(mode: str, size: tuple[int, int] = (333, 77), seed: int = 1) -> Image.Image:
    """A noisy image of mode and size; P gets a random RGB palette and a transparent index."""
    rng = random.Random(f"{mode}-{size}-{seed}")
    w, h = size
    if mode == "1":
        return Image.frombytes("L", size, rng.randbytes(w * h)).point(lambda v: 255 if v > 127 else 0).convert("1")
    if mode == "I;16":
        return Image.frombytes("I;16", size, rng.randbytes(w * h * 2))
    if mode == "I":
        return Image.frombytes("I", size, rng.randbytes(w * h * 4), "raw", "I;32S")
    if mode == "F":
        values = [rng.uniform(-1e6, 1e6) for _ in range(w * h)]
        import struct
        return Image.frombytes("F", size, struct.pack(f"<{w * h}f", *values), "raw", "F;32F")
    bands = len(mode) if mode != "P" else 1
    image = Image.frombytes(mode, size, rng.randbytes(w * h * bands))
    if mode == "P":
        image.putpalette(rng.randbytes(256 * 3), "RGB")
        image.info["transparency"] = 7
    return image


def digest(image: Image.Image | Image16) -> str:
    return hashlib.sha1(image.mode.encode() + repr(image.size).encode() + image.tobytes()).hexdigest()


def assert_identical(got: Image.Image | Image16, want: Image.Image | Image16) -> None:
    assert got.mode == want.mode, (got.mode, want.mode)
    assert got.size == want.size, (got.size, want.size)
    assert got.tobytes() == want.tobytes(), "pixels differ"
    if want.mode == "P":
        assert isinstance(got, Image.Image) and isinstance(want, Image.Image)
        assert got.getpalette() == want.getpalette(), "palette differs"
    assert got.info.get("transparency") == want.info.get("transparency"), "transparency differs"


def pixel(image: Image.Image, where: tuple[int, int]) -> tuple[int, ...]:
    """The components of one pixel of a multi-band image (Pillow types getpixel() as any of its answers)."""
    value = image.getpixel(where)
    assert isinstance(value, tuple), value
    return value
