"""Display copies of images (Pillow only, no Tk): every mode made viewable, scaled to fit, checkered.

Nothing here modifies the image it is given: Save and Copy always use the received image itself.
"""

from __future__ import annotations

import math

from PIL import Image

CHECKER = 8  # pixels per checkerboard square, as image viewers draw transparency
_LIGHT, _DARK = (204, 204, 204), (153, 153, 153)


def display_base(image: Image.Image) -> Image.Image:
    """An L, RGB or RGBA image that shows image faithfully on an 8-bit screen (image itself when it
    already is one: nothing in this module ever changes an image in place, so no copy is needed).

    16-bit, 32-bit integer and float images are stretched from their own minimum..maximum to 0..255
    (a flat image shows mid grey); palette and LA images keep their transparency.
    """
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("LA", "PA", "La", "RGBa"):
        return image.convert("RGBA")
    if mode == "P":
        has_alpha = "transparency" in image.info or image.palette.mode == "RGBA"
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode.startswith("I") or mode == "F":
        return _stretch(image if mode in ("I", "F") else image.convert("I"))
    return image.convert("RGBA" if "A" in mode else "RGB")


def _stretch(image: Image.Image) -> Image.Image:
    """Map an I or F image's own range linearly onto 0..255 (non-finite values count as the ends)."""
    lo, hi = image.getextrema()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = (lo if math.isfinite(lo) else 0.0), (hi if math.isfinite(hi) else lo + 1.0)
    if hi <= lo:
        return Image.new("L", image.size, 128)
    scale = 255.0 / (hi - lo)
    offset = 0.5 - lo * scale  # + 0.5: Pillow truncates when it converts F to L
    if image.mode == "I":  # integer maths in Pillow's point(): go through float to keep precision
        image = image.convert("F")
    return image.point(lambda v: v * scale + offset).convert("L")


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
