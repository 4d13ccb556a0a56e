"""Display copies of images (Pillow only, no Tk): every mode made viewable, scaled to fit or zoomed, checkered.

Nothing here modifies the image it is given: Save and Copy always use the received image itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageMath

from ...image16 import Image16
from ...strips import strips

CHECKER = 8  # pixels per checkerboard square, as image viewers draw transparency
_LIGHT, _DARK = (204, 204, 204), (153, 153, 153)
GRID_FROM = 8.0  # a pixel grid is drawn from this zoom factor (800%) up, as pixel editors do
_GRID = (110, 110, 110)
_FLT_MAX = 3.4028234663852886e38  # the largest float32
DEEP_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})  # more than 8 bits a value


@dataclass(frozen=True)
class ValueMapping:
    """How 16-bit, 32-bit and float values map to grey: their own range (auto), or low..high."""

    low: float | None = None
    high: float | None = None

    @property
    def auto(self) -> bool:
        return self.low is None or self.high is None


AUTO = ValueMapping()


def value_range(image: Image.Image) -> tuple[float, float] | None:
    """The finite minimum and maximum of a one-band image (None when no value is finite)."""
    found: tuple[float, float] | None = None
    for box in strips(image.size):  # getextrema holds Python's lock: a strip at a time
        strip = image.crop(box)
        if strip.mode.startswith("I;16"):
            strip = strip.convert("I")
        lo, hi = strip.getextrema()
        assert isinstance(lo, (int, float)) and isinstance(hi, (int, float))  # one band: two numbers
        if not (math.isfinite(lo) and math.isfinite(hi)):
            if strip.mode != "F":
                continue
            finite = _finite_extrema(strip)
            if finite is None:
                continue
            lo, hi = finite
        found = (float(lo), float(hi)) if found is None else (min(found[0], lo), max(found[1], hi))
    return found


def _finite_extrema(image: Image.Image) -> tuple[float, float] | None:
    """The extremes of an F image's finite values, with Pillow's image arithmetic (no Python loop over
    the pixels): non-finite values are first clamped to +-FLT_MAX (NaN to +FLT_MAX), then left out by
    moving them to the far end for each extreme."""
    top = _FLT_MAX
    clamped = ImageMath.lambda_eval(lambda v: v["max"](v["min"](v["a"], top), -top), a=image)
    finite = ImageMath.lambda_eval(lambda v: (v["c"] < top) * (v["c"] > -top), c=clamped)
    low = ImageMath.lambda_eval(lambda v: v["c"] * v["f"] + (1 - v["f"]) * top, c=clamped, f=finite)
    high = ImageMath.lambda_eval(lambda v: v["c"] * v["f"] - (1 - v["f"]) * top, c=clamped, f=finite)
    assert isinstance(low, Image.Image) and isinstance(high, Image.Image)
    lo, hi = low.getextrema()[0], high.getextrema()[1]
    assert isinstance(lo, float) and isinstance(hi, float)
    return (lo, hi) if lo < top else None


def display_window(image: Image.Image, mapping: ValueMapping = AUTO) -> tuple[float, float] | None:
    """The low..high that a deep image's display maps to black..white (None for a flat image)."""
    if not mapping.auto:
        return float(mapping.low), float(mapping.high)  # type: ignore[arg-type]  # not auto: both set
    found = value_range(image)
    if found is None or found[1] <= found[0]:
        return None
    return found


def display_base(image: Image.Image | Image16, mapping: ValueMapping = AUTO) -> Image.Image:
    """An L, RGB or RGBA image that shows image faithfully on an 8-bit screen (image itself when it
    already is one: nothing in this module ever changes an image in place, so no copy is needed).

    16-bit, 32-bit integer and float images map mapping's window (by default their own
    minimum..maximum) onto 0..255, clipping outside it (a flat image shows mid grey); palette and LA
    images keep their transparency.
    """
    if isinstance(image, Image16):
        return image.to_8bit()  # each sample's high byte; the inspector reads the true values
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("LA", "PA", "La", "RGBa"):
        return image.convert("RGBA")
    if mode == "P":
        has_alpha = "transparency" in image.info or (image.palette is not None and image.palette.mode == "RGBA")
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode.startswith("I") or mode == "F":
        return _stretch(image if mode in ("I", "F") else image.convert("I"), mapping)
    return image.convert("RGBA" if "A" in mode else "RGB")


def _stretch(image: Image.Image, mapping: ValueMapping) -> Image.Image:
    """Map an I or F image's window linearly onto 0..255, clipping outside it (non-finite values
    count as the ends)."""
    window = display_window(image, mapping)
    if window is None:
        return Image.new("L", image.size, 128)
    lo, hi = window
    scale = 255.0 / (hi - lo)
    offset = 0.5 - lo * scale  # + 0.5: Pillow truncates when it converts F to L
    if image.mode == "I":  # integer maths in Pillow's point(): go through float to keep precision
        image = image.convert("F")
    return image.point(lambda v: v * scale + offset).convert("L")  # convert clips to 0..255


def fit_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with size's aspect ratio that fits in box (at least 1x1)."""
    width, height = size
    box_w, box_h = max(1, box[0]), max(1, box[1])
    scale = min(box_w / width, box_h / height)
    return max(1, min(box_w, int(width * scale + 0.5))), max(1, min(box_h, int(height * scale + 0.5)))


def render_fit(base: Image.Image, box: tuple[int, int]) -> Image.Image:
    """base scaled (up or down, aspect kept) to fit box, transparency drawn over a checkerboard."""
    target = fit_size(base.size, box)
    if target == base.size:
        scaled = base
    elif target[0] >= 2 * base.width:  # big enlargements: keep pixels crisp, as viewers do
        scaled = base.resize(target, Image.Resampling.NEAREST)
    else:
        scaled = base.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return flatten(scaled)


def render_region(base: Image.Image, region: tuple[int, int, int, int]) -> Image.Image:
    """The part of base inside region (left, top, right, bottom) at 1:1, checkerboard aligned to base."""
    left, top, right, bottom = region
    left, top = max(0, left), max(0, top)
    right, bottom = min(base.width, right), min(base.height, bottom)
    if right <= left or bottom <= top:
        return Image.new("RGB", (1, 1), _LIGHT)
    return flatten(base.crop((left, top, right, bottom)), origin=(left, top))


def zoomed_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The size of an image of size drawn at scale (at least 1x1)."""
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def render_zoomed(base: Image.Image, scale: float, region: tuple[int, int, int, int],
                  reduced: tuple[Image.Image, int] | None = None) -> Image.Image:
    """The part of base drawn at scale that lies in region (left, top, right, bottom, in zoomed pixels).

    Only that part is computed, so an 8K image at 3200% costs what the screen shows. Enlargements
    keep pixels square (nearest neighbour); from GRID_FROM up a grid separates them. The checkerboard
    stays aligned to the screen. reduced, (base.reduce(factor), factor), makes small zooms cheap: the
    part is scaled from it instead of from base.
    """
    width, height = zoomed_size(base.size, scale)
    left, top = max(0, region[0]), max(0, region[1])
    right, bottom = min(width, region[2]), min(height, region[3])
    if right <= left or bottom <= top:
        return Image.new("RGB", (1, 1), _LIGHT)
    sx, sy = width / base.width, height / base.height
    box = (left / sx, top / sy, right / sx, bottom / sy)
    size = (right - left, bottom - top)
    if scale >= 1.0:
        part = base.resize(size, Image.Resampling.NEAREST, box=box)
    else:
        source, factor = reduced if reduced is not None else (base, 1)
        part = _scaled_down(source, tuple(v / factor for v in box), size)  # type: ignore[arg-type]
    shown = flatten(part, origin=(left, top))
    if scale >= GRID_FROM:
        _draw_grid(shown, (left, top), (sx, sy), box)
    return shown


def _scaled_down(source: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int]) -> Image.Image:
    """source's box scaled down to size. The box (plus the filter's reach) is cut out first: Pillow
    resizes RGBA through a premultiplied copy of the whole image, which for an 8K image costs far more
    than the few pixels the screen shows."""
    reach = math.ceil(2 * max((box[2] - box[0]) / size[0], (box[3] - box[1]) / size[1])) + 1
    left, top = max(0, math.floor(box[0]) - reach), max(0, math.floor(box[1]) - reach)
    right = min(source.width, math.ceil(box[2]) + reach)
    bottom = min(source.height, math.ceil(box[3]) + reach)
    part = source.crop((left, top, right, bottom))
    inner = (box[0] - left, box[1] - top, min(box[2] - left, part.width), min(box[3] - top, part.height))
    return part.resize(size, Image.Resampling.BILINEAR, box=inner, reducing_gap=2.0)


def reduction_for(scale: float) -> int:
    """The power-of-two factor by which a base may be reduced before it is drawn at scale (a scale
    below 1/2), keeping at least twice the pixels drawn so that scaling the rest stays smooth."""
    factor = 1
    while scale * factor * 4 <= 1.0:
        factor *= 2
    return factor


def _draw_grid(image: Image.Image, origin: tuple[int, int], scale: tuple[float, float],
               box: tuple[float, float, float, float]) -> None:
    """Lines on image (in place: it is a fresh render) along the edges of the source pixels."""
    draw = ImageDraw.Draw(image)
    fill = _GRID[0] if image.mode == "L" else _GRID
    for column in range(math.ceil(box[0]), math.floor(box[2]) + 1):
        x = round(column * scale[0]) - origin[0]
        draw.line([(x, 0), (x, image.height)], fill=fill)
    for row in range(math.ceil(box[1]), math.floor(box[3]) + 1):
        y = round(row * scale[1]) - origin[1]
        draw.line([(0, y), (image.width, y)], fill=fill)


def flatten(image: Image.Image, origin: tuple[int, int] = (0, 0)) -> Image.Image:
    """An L or RGB image ready for the screen: RGBA is composited over a checkerboard."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    board = checkerboard(image.size, origin)
    board.paste(image, (0, 0), image)
    return board


def checkerboard(size: tuple[int, int], origin: tuple[int, int] = (0, 0)) -> Image.Image:
    """A light/dark grey checkerboard of size, as if cut from one that starts at -origin."""
    width, height = size
    ox, oy = origin[0] % (2 * CHECKER), origin[1] % (2 * CHECKER)
    tile = Image.new("RGB", (2 * CHECKER, 2 * CHECKER), _LIGHT)
    tile.paste(_DARK, (CHECKER, 0, 2 * CHECKER, CHECKER))
    tile.paste(_DARK, (0, CHECKER, CHECKER, 2 * CHECKER))
    row = Image.new("RGB", (width + 2 * CHECKER, 2 * CHECKER))
    for x in range(0, row.width, 2 * CHECKER):
        row.paste(tile, (x, 0))
    board = Image.new("RGB", (width + 2 * CHECKER, height + 2 * CHECKER))
    for y in range(0, board.height, 2 * CHECKER):
        board.paste(row, (0, y))
    return board.crop((ox, oy, ox + width, oy + height))
