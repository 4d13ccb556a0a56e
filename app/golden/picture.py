"""The picture of a comparison: the expected image faded to grey, each counted pixel in one strong
colour (as odiff and pixelmatch draw it), anti-aliasing in yellow, ignored regions tinted. Pillow only,
a strip at a time: both engines' results draw the same picture, and a window's thread runs between
strips."""

from __future__ import annotations

from PIL import Image, ImageMath

from ..image16 import Image16
from ..strips import strips
from .modes import extrema

DIFFERENT = (255, 0, 0)
ANTIALIASED = (255, 255, 0)
IGNORED_TINT = (60, 120, 255)
FADE = 0.1  # how much of the expected image shows through (pixelmatch's alpha)
DEEP_MODES = ("I;16", "I", "F")
_LUMA = (0.29889531, 0.58662247, 0.11448223, 0)  # pixelmatch's Y weights
_FADED = [round(255 + (v - 255) * FADE) for v in range(256)]


def _finite_range(image: Image.Image) -> tuple[float, float]:
    """The smallest and largest finite value of a deep image ((0, 1) when there is none)."""
    if image.mode != "F":
        [(low, high)] = extrema(image)
        return float(low), float(high)
    finite = ImageMath.lambda_eval(lambda v: (v["x"] == v["x"]) * (abs(v["x"]) != float("inf")), x=image)
    where = finite.convert("L").point([0] + [255] * 255, "1")
    box = where.getbbox()
    if box is None:
        return 0.0, 1.0
    first_row = where.crop((0, box[1], image.width, box[1] + 1)).getbbox()
    assert first_row is not None
    filler = Image.new("F", image.size, image.getpixel((first_row[0], box[1])))  # a finite value
    [(low, high)] = extrema(Image.composite(image, filler, where))
    return float(low), float(high)


def _luma(image: Image.Image, stretch: tuple[float, float] | None = None) -> Image.Image:
    """0..255 brightness (L): colour modes over white, as the measure sees them; deep modes stretched
    from stretch's low to high (NaN shown as low, infinities clamped)."""
    if image.mode in DEEP_MODES:
        low, high = stretch or _finite_range(image)
        scale = 255 / max(high - low, 1e-12)
        values = image.convert("F") if image.mode == "I;16" else image
        stretched: Image.Image = ImageMath.lambda_eval(
            lambda v: (v["min"](v["max"](v["x"], low), high) - low) * scale, x=values)
        return stretched.convert("L")
    rgba = image.convert("RGBA")
    over_white = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), rgba)
    return over_white.convert("RGB").convert("L", _LUMA)


def display_copy(image: Image.Image | Image16) -> Image.Image:
    """An 8-bit copy a browser shows: colour modes as RGBA (16-bit colour by its high bytes), deep ones
    stretched to grey."""
    if isinstance(image, Image16):
        return image.to_8bit().convert("RGBA")
    if image.mode in DEEP_MODES:
        return _luma(image)
    return image.convert("RGBA")


def diff_picture(expected: Image.Image | Image16, counted: Image.Image, ignored: Image.Image | None = None,
                 antialiased: Image.Image | None = None) -> Image.Image:
    """An RGB image of the expected image's size; counted, ignored and antialiased are mode "1" marks
    (16-bit colour drawn by its high bytes)."""
    if isinstance(expected, Image16):
        expected = expected.to_8bit()
    stretch = _finite_range(expected) if expected.mode in DEEP_MODES else None
    picture = Image.new("RGB", expected.size)
    for box in strips(expected.size):
        part = _luma(expected.crop(box), stretch).point(_FADED).convert("RGB")
        if ignored is not None:
            tinted = Image.blend(part, Image.new("RGB", part.size, IGNORED_TINT), 0.4)
            part = Image.composite(tinted, part, ignored.crop(box))
        if antialiased is not None:
            part.paste(ANTIALIASED, (0, 0), antialiased.crop(box))
        part.paste(DIFFERENT, (0, 0), counted.crop(box))
        picture.paste(part, box[:2])
    return picture
