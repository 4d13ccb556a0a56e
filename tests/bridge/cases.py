"""The images the bridge tests carry: every mode, palettes and transparency, OpenCV order, a
converted mode, sizes that are not powers of two."""

from __future__ import annotations

import numpy as np
from PIL import Image

from imgshare import Image16
from tests.images import make_image


def _p_alpha() -> Image.Image:
    image = make_image("P", (61, 17), seed=2)
    image.info["transparency"] = bytes(range(0, 250, 5))  # one alpha per palette index (PNG tRNS)
    return image


def _rgb_key() -> Image.Image:
    image = make_image("RGB", (29, 31), seed=3)
    image.info["transparency"] = (12, 34, 56)
    return image


def _l_key() -> Image.Image:
    image = make_image("L", (17, 3), seed=4)
    image.info["transparency"] = 200
    return image


def _p_rgba_palette() -> Image.Image:
    image = Image.frombytes("P", (23, 11), bytes((i * 7) % 64 for i in range(23 * 11)))
    image.putpalette(bytes(range(256)), "RGBA")
    return image


def _rgb16(bands: int, transparency: tuple[int, int, int] | None = None) -> Image16:
    data = np.random.default_rng(bands).integers(0, 65536, (13, 21, bands), dtype=np.uint16)
    mode = "RGB;16" if bands == 3 else "RGBA;16"
    return Image16(mode, (21, 13), data.astype("<u2").tobytes(),
                   {"transparency": transparency} if transparency else None)


TAGS = {"exposure_us": 8000, "lens": {"f": 2.8, "name": "ü 50 mm"}, "frames": [1, 2, 3], "ok": True,
        "note": "x" * 3800}  # near the 4 KiB a share may carry


CASES = {
    "1": lambda: (make_image("1", (13, 7)), None),
    "L": lambda: (make_image("L", (333, 77)), None),
    "L+key": lambda: (_l_key(), None),
    "LA": lambda: (make_image("LA", (45, 9)), None),
    "P": lambda: (make_image("P", (101, 37)), None),
    "P+alpha": lambda: (_p_alpha(), None),
    "P+rgba-palette": lambda: (_p_rgba_palette(), None),
    "RGB": lambda: (make_image("RGB", (1000, 333)), None),
    "RGB+key": lambda: (_rgb_key(), None),
    "RGBA": lambda: (make_image("RGBA", (77, 59)), None),
    "I;16": lambda: (make_image("I;16", (33, 21)), None),
    "I": lambda: (make_image("I", (19, 23)), None),
    "F": lambda: (make_image("F", (27, 5)), None),
    "BGR array": lambda: (np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3), "BGR"),
    "CMYK converted": lambda: (make_image("RGB", (15, 15), seed=5).convert("CMYK"), None),
    "RGB;16": lambda: (_rgb16(3), None),
    "RGB;16+key": lambda: (_rgb16(3, (1, 65535, 300)), None),
    "RGBA;16": lambda: (_rgb16(4), None),
    "BGR;16 array": lambda: (np.arange(5 * 7 * 3, dtype=np.uint16).reshape(5, 7, 3) * 601, "BGR"),
    "BGRA array": lambda: (np.arange(5 * 7 * 4, dtype=np.uint8).reshape(5, 7, 4), "BGRA"),
    "RGB+tags": lambda: (make_image("RGB", (31, 9), seed=6), None),
}


def make_case(name: str) -> tuple[object, str | None, str, dict[str, object] | None]:
    """(image or array, channels, source name, tags) of a case."""
    image, channels = CASES[name]()
    return image, channels, f"case {name} – ü.png", TAGS if "tags" in name else None
