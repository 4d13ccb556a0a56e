"""The one table of what each output format keeps of each mode (app/fidelity.py), checked against what
Pillow really writes and reads back: an EXACT cell round-trips pixel for pixel (palette and
transparency included), a LOSSY cell is written but reads back otherwise, and a REFUSED cell writes
nothing. A format Pillow can write that the table does not name is refused as a whole."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imgshare.fidelity import TABLE, WIDE_MODES, Fidelity, judge, written_formats
from imgshare.image16 import Image16
from imgshare.imaging import load_image, save_image
from imgshare.ipc import ImageError
from tests.images import CARRIED, assert_identical, make_image

FORMATS = written_formats()
CELLS = [(fmt, mode) for fmt in FORMATS for mode in CARRIED]


def _extension(fmt: str) -> str:
    from imgshare.fidelity import extension_for
    return extension_for(fmt)


def test_the_usual_formats_are_written():
    assert {"PNG", "TIFF", "BMP", "GIF", "JPEG", "WEBP", "PPM", "TGA"} <= set(FORMATS)
    assert all(set(TABLE[fmt].cells) == {*CARRIED, *WIDE_MODES} for fmt in FORMATS), "every carried mode has a cell"


@pytest.mark.parametrize("fmt, mode", CELLS, ids=[f"{f}-{m}" for f, m in CELLS])
def test_each_cell_says_what_pillow_does(tmp_path, fmt, mode):
    image = make_image(mode, (37, 23), seed=5)  # P carries a transparent index
    path = tmp_path / f"out{_extension(fmt)}"
    verdict = judge(mode, fmt, transparency="transparency" in image.info)
    if verdict.fidelity is Fidelity.REFUSED:
        with pytest.raises(ImageError) as refused:
            save_image(image, path)
        assert str(refused.value).startswith(f"cannot write {path}: ")
        assert "would be lost; write .png to keep every value" in str(refused.value) or \
            "would be lost; write .tif to keep every value" in str(refused.value)
        assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
        return
    assert save_image(image, path) == verdict
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    back = load_image(path)  # as `imgshare send` would read the file
    if verdict.fidelity is Fidelity.EXACT:
        assert_identical(back, image)
    else:
        with pytest.raises(AssertionError):
            assert_identical(back, image)


def test_a_palette_without_transparency_is_exact_where_only_the_transparency_is_lost(tmp_path):
    image = make_image("P", (37, 23))
    del image.info["transparency"]
    for fmt in ("TIFF", "BMP", "TGA"):
        assert judge("P", fmt).fidelity is Fidelity.EXACT
        assert judge("P", fmt, transparency=True).fidelity is Fidelity.LOSSY
        path = tmp_path / f"p{_extension(fmt)}"
        save_image(image, path)
        assert_identical(load_image(path), image)


def test_formats_outside_the_table_are_refused_by_name(tmp_path):
    image = make_image("RGB", (8, 8))
    for name in ("x.ico", "x.pdf", "x.pcx"):
        with pytest.raises(ImageError) as refused:
            save_image(image, tmp_path / name)
        assert "imgshare does not write" in str(refused.value) and "use .png or .tif" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_a_stream_gets_the_format_named_and_a_refusal_names_one_by_its_option_name():
    out = io.BytesIO()
    save_image(make_image("F", (9, 4)), out, format="tif")
    out.seek(0)
    assert_identical(load_image(out), make_image("F", (9, 4)))
    with pytest.raises(ImageError) as refused:
        save_image(make_image("F", (9, 4)), io.BytesIO(), format="png")
    assert str(refused.value) == ("cannot write standard output: PNG holds no floating-point values, so the "
                                  "32-bit floating-point values of this F image would be lost; write tif "
                                  "(--format tif) to keep every value")


def test_a_failed_write_keeps_the_file_that_was_there(tmp_path):
    path = tmp_path / "kept.png"
    Image.new("L", (3, 3), 9).save(path)
    with pytest.raises(ImageError):
        save_image(make_image("F", (5, 5)), path)  # refused: PNG cannot hold it
    assert Image.open(path).getpixel((0, 0)) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.png"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", WIDE_MODES)
def test_16_bit_colour_is_written_exactly_as_png_or_tiff_and_refused_elsewhere(tmp_path, fmt, mode):
    """RGB;16 and RGBA;16 (Image16, no Pillow mode): imgshare's own PNG and TIFF writers keep every value;
    every other format would cut them to 8 bits, so nothing is written."""
    bands = 3 if mode == "RGB;16" else 4
    values = np.random.default_rng(7).integers(0, 65536, (23, 37, bands), dtype=np.uint16)
    image = Image16(mode, (37, 23), values.astype("<u2").tobytes())
    path = tmp_path / f"out{_extension(fmt)}"
    if fmt in ("PNG", "TIFF"):
        assert save_image(image, path).fidelity is Fidelity.EXACT
        back = load_image(path)
        assert isinstance(back, Image16) and back == image
        return
    with pytest.raises(ImageError) as refused:
        save_image(image, path)
    assert str(refused.value).endswith(f"values of this {mode} image would be lost; write .png to keep every value")
    assert list(tmp_path.iterdir()) == []
