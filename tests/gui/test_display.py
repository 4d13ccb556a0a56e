"""Display conversion (Pillow only, no window): every mode made viewable, never changing the image."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.views.imageview.display import (
    ValueMapping,
    checkerboard,
    display_base,
    fit_size,
    render_fit,
    render_region,
    render_zoomed,
    value_range,
)
from imgshare.views.imageview.geometry import Placement


def values(image):
    return list(image.tobytes())


@pytest.mark.parametrize("mode, data, expected", [
    ("I;16", [1000, 1500, 3000], [0, 64, 255]),
    ("I", [-70000, 0, 30000], [0, 179, 255]),
    ("F", [-0.5, 0.0, 1.5], [0, 64, 255]),
])
def test_deep_modes_stretch_from_their_own_range(mode, data, expected):
    image = Image.new(mode, (3, 1))
    for x, v in enumerate(data):
        image.putpixel((x, 0), v)
    before = image.tobytes()
    shown = display_base(image)
    assert shown.mode == "L" and values(shown) == expected
    assert image.tobytes() == before


def test_flat_and_non_finite_images_do_not_break():
    assert values(display_base(Image.new("F", (2, 1), 7.0))) == [128, 128]
    nan = Image.new("F", (2, 1), 1.0)
    nan.putpixel((0, 0), float("inf"))
    assert display_base(nan).mode == "L"


def test_transparency_becomes_a_checkerboard():
    p = Image.new("P", (32, 16), 0)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    p.info["transparency"] = 0
    base = display_base(p)
    assert base.mode == "RGBA"
    shown = render_fit(base, (32, 16))
    assert shown.mode == "RGB"
    assert shown.getpixel((0, 0)) == (204, 204, 204) and shown.getpixel((8, 0)) == (153, 153, 153)
    la = display_base(Image.new("LA", (32, 4), (255, 0)))
    assert render_region(la, (8, 0, 12, 4)).getpixel((0, 0)) == (153, 153, 153)  # aligned to the image
    assert checkerboard((20, 20), (8, 0)).getpixel((0, 0)) == (153, 153, 153)


@pytest.mark.parametrize("size, box, expected", [
    ((1600, 400), (800, 600), (800, 200)), ((333, 777), (700, 500), (214, 500)),
    ((7680, 4320), (1000, 563), (1000, 563)), ((10, 10), (128, 128), (128, 128)), ((1, 5000), (100, 100), (1, 100)),
])
def test_fit_keeps_the_aspect(size, box, expected):
    assert fit_size(size, box) == expected
    assert render_fit(Image.new("RGB", size), box).size == expected


def test_small_images_are_enlarged_crisply():
    image = Image.new("L", (2, 1))
    image.putpixel((1, 0), 255)
    assert values(render_fit(image, (8, 8))) == [0] * 4 + [255] * 4 + [0] * 4 + [255] * 4 \
        or values(render_fit(image, (8, 8)))[:8] == [0, 0, 0, 0, 255, 255, 255, 255]


def test_deep_modes_map_a_chosen_window_and_clip_outside_it():
    image = Image.new("I", (4, 1))
    for x, v in enumerate([1000, 1500, 2000, 5000]):
        image.putpixel((x, 0), v)
    i16 = image.convert("I;16")
    window = ValueMapping(1500.0, 2500.0)
    assert values(display_base(i16, window)) == [0, 0, 128, 255]
    assert values(display_base(image, window)) == [0, 0, 128, 255]
    assert values(display_base(i16)) == [0, 32, 64, 255]  # auto: its own range
    f = Image.new("F", (3, 1), 0.25)
    f.putpixel((0, 0), -1.0)
    assert values(display_base(f, ValueMapping(0.0, 0.5))) == [0, 128, 128]
    assert value_range(i16) == (1000.0, 5000.0) and value_range(f) == (-1.0, 0.25)
    f.putpixel((1, 0), float("inf"))
    assert value_range(f) == (-1.0, 0.25)  # the finite values only
    assert value_range(Image.new("F", (2, 1), float("nan"))) is None


def test_zoomed_renders_keep_pixels_square_and_draw_a_grid_from_800_percent():
    image = Image.new("L", (4, 3))
    image.putpixel((1, 1), 255)
    four = render_zoomed(image, 4.0, (0, 0, 16, 12))
    assert four.size == (16, 12)
    assert [four.getpixel((x, 5)) for x in range(16)] == [0] * 4 + [255] * 4 + [0] * 8
    eight = render_zoomed(image, 8.0, (0, 0, 32, 24))
    assert eight.getpixel((8, 12)) == 110 and eight.getpixel((12, 8)) == 110  # grid lines at x 8, y 8
    assert eight.getpixel((12, 12)) == 255 and eight.getpixel((3, 3)) == 0
    # only the requested region is drawn, offset into the zoomed image
    part = render_zoomed(image, 4.0, (4, 4, 12, 8))
    assert part.size == (8, 4) and part.getpixel((0, 0)) == 255 and part.getpixel((4, 0)) == 0
    big = render_zoomed(Image.new("RGB", (7680, 4320), (9, 8, 7)), 32.0, (100000, 50000, 101000, 50600))
    assert big.size == (1000, 600) and big.getpixel((5, 5)) == (9, 8, 7)
    small = render_zoomed(Image.new("RGB", (7680, 4320), (9, 8, 7)), 0.1, (0, 0, 2000, 2000))
    assert small.size == (768, 432)  # clipped to the zoomed image


def test_placement_maps_canvas_and_image_points_both_ways():
    fitted = Placement((300, 200), (900, 700), None)  # 3x, centred: 100 px above and below
    assert fitted.to_canvas(0, 0) == (0, 50) and fitted.to_image(450, 350) == (150, 100)
    zoomed = Placement((300, 200), (900, 700), 4.0)
    assert zoomed.region() == (0, 0, 1200, 800) and zoomed.to_image(402, 6) == (100.5, 1.5)
    small = Placement((300, 200), (900, 700), 0.5)  # smaller than the window: centred in it
    assert small.region() == (-375, -300, 525, 400)
    assert small.to_canvas(*small.to_image(123.0, 45.0)) == (123.0, 45.0)


def test_value_range_of_a_big_image_spans_its_strips():
    image = Image.new("F", (1500, 1000), 0.5)  # more than one strip
    image.putpixel((0, 0), float("nan"))
    image.putpixel((10, 2), -3.0)
    image.putpixel((1499, 999), 7.0)
    image.putpixel((5, 999), float("inf"))
    assert value_range(image) == (-3.0, 7.0)
    deep = Image.new("I", (1500, 1000), 100)
    deep.putpixel((7, 998), 65000)
    assert value_range(deep.convert("I;16")) == (100.0, 65000.0)
