"""Display conversion (Pillow only, no window): every mode made viewable, never changing the image."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.views.display import checkerboard, display_base, fit_size, render_fit, render_region


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
