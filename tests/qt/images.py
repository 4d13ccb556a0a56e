"""Test images for Qt exchanges, and pixel-exact comparison with what the Qt peer dumped."""

from __future__ import annotations

import json
import random
from pathlib import Path

from PIL import Image

from imgshare.image16 import Image16

SIZE = (37, 23)  # not a power of two, odd stride
MODES = ("RGB", "RGBA", "L", "P")
# What Qt 6 makes of each when it loads the PNG (qpnghandler.cpp setup_qt()).
QT_FORMATS = {"RGB": "Format_RGB32", "RGBA": "Format_ARGB32", "L": "Format_Grayscale8",
              "P": "Format_Indexed8"}


def make(mode: str, seed: int = 7) -> Image.Image:
    """Random pixels; a 40-colour palette for P (more than 16, so PNG keeps 8 bits and Qt Indexed8)."""
    rng = random.Random(seed)
    w, h = SIZE
    if mode == "P":
        image = Image.frombytes("P", SIZE, bytes(rng.randrange(40) for _ in range(w * h)))
        image.putpalette(bytes(rng.randrange(256) for _ in range(40 * 3)))
        return image
    bands = len(mode)
    data = bytearray(rng.randrange(256) for _ in range(w * h * bands))
    if mode == "RGBA":
        data[3::4 * 5] = bytes(len(data[3::4 * 5]))  # some fully transparent pixels keep their colour
    return Image.frombytes(mode, SIZE, bytes(data))


def assert_same(received: Image.Image | Image16, sent: Image.Image) -> None:
    """Mode, pixels and (for P) the colours of the palette entries used are identical."""
    assert received.mode == sent.mode
    assert received.size == sent.size
    assert received.tobytes() == sent.tobytes()
    if sent.mode == "P":
        assert isinstance(received, Image.Image)
        used = max(sent.tobytes()) + 1
        assert received.getpalette()[:3 * used] == sent.getpalette()[:3 * used]


def assert_qt_dump_matches(prefix: Path, sent: Image.Image) -> None:
    """What the Qt receiver decoded equals sent: its QImage format, RGBA pixels and, for P, indices."""
    meta = json.loads(prefix.with_suffix(".json").read_text())
    assert meta["format"] == QT_FORMATS[sent.mode]
    assert (meta["width"], meta["height"]) == sent.size
    assert prefix.with_suffix(".rgba").read_bytes() == sent.convert("RGBA").tobytes()
    if sent.mode == "P":
        assert prefix.with_suffix(".idx").read_bytes() == sent.tobytes()
        palette = sent.getpalette()
        expected = [0xFF000000 | palette[3 * i] << 16 | palette[3 * i + 1] << 8 | palette[3 * i + 2]
                    for i in range(len(meta["colors"]))]
        assert meta["colors"] == expected
