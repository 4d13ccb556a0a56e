"""Comparing a received image with an expected one (no window): exact, size and mode mismatches, and for
changed pixels the right count, the largest difference per channel and the mask, in every carried mode."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imgshare.golden import Verdict, compare_images, load_side
from imgshare.golden.highlight import difference_overlay
from imgshare.ipc import ImageError
from tests.images import pixel


def compare(received: Image.Image, expected: Image.Image):
    """The result, and where pixels differ as an L image (255 there), None when none does."""
    result = compare_images(received, expected)
    mask = Image.fromarray(result.mask.astype(np.uint8) * 255) if result.differing else None
    return result, mask


load_expected = load_side

SIZE = (37, 23)  # not a power of two
CHANGED = [(0, 0), (5, 7), (36, 22)]


def changed(image: Image.Image, values) -> Image.Image:
    other = image.copy()
    for where, value in zip(CHANGED, values, strict=True):
        other.putpixel(where, value)
    return other


def palette(image: Image.Image) -> Image.Image:
    image.putpalette([i % 256 for i in range(768)])
    return image


# mode -> (expected image, the changed values at CHANGED, the largest difference per channel)
CASES = {
    "1": (Image.new("1", SIZE, 0), [1, 1, 0], {"value": 1}),
    "L": (Image.new("L", SIZE, 100), [101, 40, 100], {"L": 60}),
    "LA": (Image.new("LA", SIZE, (100, 255)), [(100, 0), (90, 255), (100, 250)], {"L": 10, "A": 255}),
    "P": (palette(Image.new("P", SIZE, 3)), [4, 200, 3], {"index": 197}),
    "RGB": (Image.new("RGB", SIZE, (10, 20, 30)), [(11, 20, 30), (10, 20, 255), (10, 20, 30)],
            {"R": 1, "G": 0, "B": 225}),
    "RGBA": (Image.new("RGBA", SIZE, (10, 20, 30, 40)), [(10, 20, 30, 41), (0, 20, 30, 40), (10, 21, 30, 40)],
             {"R": 10, "G": 1, "B": 0, "A": 1}),
    "I;16": (Image.new("I", SIZE, 1000).convert("I;16"), [65535, 999, 1000], {"value": 64535}),
    "I": (Image.new("I", SIZE, -5), [2_000_000_000, -5, -7], {"value": 2_000_000_005}),
    "I small": (Image.new("I", SIZE, -5), [70_000, -5, -7], {"value": 70_005}),
    "F": (Image.new("F", SIZE, 0.5), [0.75, float("nan"), -1.5], {"value": 2.0}),
}


@pytest.mark.parametrize("mode", list(CASES))
def test_exact_and_changed_pixels_in_every_carried_mode(mode):
    expected, values, largest = CASES[mode]
    mode = mode.split()[0]
    assert expected.mode == mode
    same, mask = compare(expected.copy(), expected)
    assert same.verdict is Verdict.EXACT and same.exact and mask is None
    assert same.summary() == f"pixel-exact: 37x23 {mode}"
    received = changed(expected, values)
    found, mask = compare(received, expected)
    differing = sum(received.getpixel(p) != expected.getpixel(p) for p in CHANGED)
    assert found.verdict is Verdict.PIXELS_DIFFER and not found.exact
    assert found.differing == differing and found.total == 37 * 23
    assert dict(found.largest) == largest
    assert mask is not None and mask.mode == "L" and mask.size == SIZE
    assert sorted(p for p in CHANGED if mask.getpixel(p) == 255) == \
        sorted(p for p in CHANGED if received.getpixel(p) != expected.getpixel(p))
    assert mask.histogram()[255] == differing
    assert found.as_dict()["differing_pixels"] == differing


def test_float_nan_at_the_same_place_is_equal():
    a = Image.new("F", (4, 1), 1.0)
    a.putpixel((0, 0), float("nan"))
    b = a.copy()
    b.putpixel((1, 0), 1.5)
    found, _ = compare(a, b)
    assert found.differing == 1 and dict(found.largest) == {"value": 0.5}


def test_size_mode_and_palette_mismatches_say_why():
    image = Image.new("RGB", (4, 3))
    assert compare(image, Image.new("RGB", (3, 4)))[0].summary() == "differs: the size is 4x3, expected 3x4"
    assert compare(image, Image.new("RGBA", (4, 3)))[0].summary() == "differs: the mode is RGB, expected RGBA"
    p = palette(Image.new("P", (4, 3)))
    other = p.copy()
    other.putpalette([255 - i % 256 for i in range(768)])
    found, _ = compare(p, other)
    assert found.verdict is Verdict.PALETTE_DIFFERS and not found.exact


def test_summary_counts_and_percent():
    expected = Image.new("RGB", (100, 100))
    received = expected.copy()
    received.paste((0, 0, 7), (0, 0, 10, 5))
    assert compare(received, expected)[0].summary() == \
        "differs: 50 of 10000 pixels (0.50%); largest difference R 0, G 0, B 7"


def test_expected_files_are_loaded_as_a_sender_shares_them(tmp_path):
    Image.new("I", (5, 5), 40000).convert("I;16").save(tmp_path / "deep.png")
    loaded = load_expected(tmp_path / "deep.png")
    assert loaded.mode in ("I;16", "I") and loaded.getpixel((0, 0)) == 40000
    Image.new("CMYK", (5, 5), (0, 255, 0, 0)).save(tmp_path / "print.jpg")
    assert load_expected(tmp_path / "print.jpg").mode == "RGB"  # as a sender converts it
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ImageError):
        load_expected(tmp_path / "notes.txt")


def test_overlay_highlights_the_differing_pixels():
    base = Image.new("RGB", (4, 4), (200, 200, 200))
    mask = np.zeros((4, 4), dtype=bool)
    mask[2, 1] = True
    shown = difference_overlay(base, mask)
    assert shown.getpixel((1, 2)) == (255, 0, 200) and max(pixel(shown, (0, 0))) < 100  # dimmed


def test_big_images_are_compared_strip_by_strip_with_the_same_result():
    expected = Image.new("RGBA", (1500, 1000), (10, 20, 30, 255))  # 1.5 M pixels: more than one strip
    received = expected.copy()
    received.putpixel((0, 0), (11, 20, 30, 255))
    received.putpixel((1499, 999), (10, 20, 30, 0))
    received.putpixel((700, 666), (10, 90, 30, 255))
    found, mask = compare(received, expected)
    assert found.differing == 3 and dict(found.largest) == {"R": 1, "G": 70, "B": 0, "A": 255}
    assert [c for c, _ in found.largest] == ["R", "G", "B", "A"]
    assert mask.getbbox() == (0, 0, 1500, 1000) and mask.histogram()[255] == 3
    deep = Image.new("F", (1500, 1000), 1.0)
    other = deep.copy()
    other.putpixel((3, 999), 9.0)
    found, _ = compare(other, deep)
    assert found.differing == 1 and dict(found.largest) == {"value": 8.0}
    assert compare(deep.copy(), deep)[0].exact


def test_the_diff_picture_fades_the_expected_image_and_marks_counted_ignored_and_antialiased_pixels():
    from imgshare import compare
    from tests.golden.tools import scene
    expected = scene((60, 40), 4)
    actual = expected.copy()
    actual.putpixel((50, 30), (0, 0, 0, 255))  # counted
    actual.putpixel((2, 2), (0, 0, 0, 255))  # inside the ignored region
    result = compare(actual, expected, threshold=0.05, antialiasing=True, ignore=[(0, 0, 10, 10)])
    picture = result.diff
    assert picture.mode == "RGB" and picture.size == (60, 40)
    assert picture.getpixel((50, 30)) == (255, 0, 0)
    r, g, b = picture.getpixel((2, 2))
    assert b > r and b > g  # tinted blue: ignored, not counted
    r, g, b = picture.getpixel((30, 35))
    assert min(r, g, b) > 200 and max(r, g, b) - min(r, g, b) <= 1  # faded grey
    assert result.differing == 1 and result.ignored == 100


def test_goldens_are_written_only_in_formats_that_keep_them_exactly(tmp_path):
    from imgshare.golden.goldens import write_golden
    image = Image.new("RGBA", (5, 4), (1, 2, 3, 4))
    with pytest.raises(ImageError, match=r"cannot keep .*golden\.jpg as a golden image: JPEG is lossy"):
        write_golden(image, tmp_path / "golden.jpg")
    assert not (tmp_path / "golden.jpg").exists()
    write_golden(image, tmp_path / "golden.png")
    assert Image.open(tmp_path / "golden.png").tobytes() == image.tobytes()
