"""16 bits a channel (RGB;16, RGBA;16): read exactly from 48- and 64-bit PNG and TIFF, carried exactly,
written exactly, compared as exact, and said to be converted only when they were (issues 18 and 17.2)."""

import json
import struct
import zlib

import numpy as np
import pytest

from imgshare.image16 import Image16
from imgshare.imaging import load_image
from imgshare.ipc import Receiver, Sender
from tests.conftest import run_cli, start_cli
from tests.test_roundtrip import stop, wait_for_line


def png16(path, array: np.ndarray, colour_type: int | None = None) -> None:
    """A 16-bit PNG written here byte by byte (big-endian samples, filter 0): not by imgshare's writer."""
    height, width = array.shape[:2]
    channels = array.shape[2] if array.ndim == 3 else 1
    colour_type = colour_type if colour_type is not None else {3: 2, 4: 6, 2: 4, 1: 0}[channels]
    raw = b"".join(b"\0" + array[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def wide(channels: int, seed: int = 0, size=(37, 23)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 65536, (size[1], size[0], channels), dtype=np.uint16)


@pytest.mark.parametrize("channels,mode", [(3, "RGB;16"), (4, "RGBA;16")])
def test_a_16_bit_png_is_read_exactly_and_written_exactly(channels, mode, tmp_path):
    array = wide(channels)
    png16(tmp_path / "in.png", array)
    image = load_image(tmp_path / "in.png")
    assert isinstance(image, Image16) and image.mode == mode
    assert np.array_equal(np.asarray(image), array)
    for name in ("out.png", "out.tif"):
        image.save(tmp_path / name)
        assert np.array_equal(np.asarray(Image16.open(tmp_path / name)), array)


def test_image16_offers_what_a_pillow_user_reaches_for(tmp_path):
    array = wide(3, seed=2)
    image = Image16("RGB;16", (37, 23), array.astype("<u2").tobytes())
    assert image.getpixel((5, 3)) == tuple(int(v) for v in array[3, 5])
    red, green, blue = image.split()
    assert red.mode == "I;16" and red.getpixel((5, 3)) == array[3, 5, 0]
    assert Image16.merge("RGB;16", (red, green, blue)) == image
    eight = image.to_8bit()
    assert eight.mode == "RGB" and eight.getpixel((5, 3)) == tuple(int(v) >> 8 for v in array[3, 5])
    assert image.convert("RGBA;16").getpixel((0, 0))[3] == 65535
    with pytest.raises(ValueError, match="cannot hold 16 bits"):
        image.save(tmp_path / "x.jpg")


@pytest.mark.parametrize("channels", [3, 4])
def test_16_bit_colour_travels_exactly_as_image16_and_as_uint16_arrays(channels, key):
    array = wide(channels, seed=3, size=(301, 7))
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(array)
        got, info = receiver.receive_array()
        assert info.mode == ("RGB;16" if channels == 3 else "RGBA;16") and not info.converted
        assert got.dtype == np.uint16 and np.array_equal(got, array)
        image, _ = receiver.receive()
        assert isinstance(image, Image16) and np.array_equal(np.asarray(image), array)
        sender.share(array, channels="BGR" if channels == 3 else "BGRA")  # OpenCV's 16-bit order
        swapped, info = receiver.receive_array()
        assert info.bgr and np.array_equal(swapped, array[..., [2, 1, 0, 3][:channels]])
        same, _ = receiver.receive_array(channels="BGR" if channels == 3 else "BGRA", borrow=True)
        assert np.array_equal(same, array)


def test_the_command_line_carries_a_48_bit_png_exactly_and_compare_calls_it_exact(key, tmp_path):
    """Issue 17.2: a 48-bit PNG was cut to 8 bits while the header said 'not converted', so compare
    called it pixel-exact. Now it travels exactly and compare's verdict is true to it."""
    array = wide(3, seed=4)
    png16(tmp_path / "deep.png", array)
    sender = start_cli("send", str(tmp_path / "deep.png"), "--key", key)
    try:
        assert "RGB;16" in wait_for_line(sender)
        info = json.loads(run_cli("info", "--key", key, "--json").stdout)
        assert info["mode"] == "RGB;16" and not info["converted"]
        assert run_cli("receive", "--key", key, "-o", str(tmp_path / "back.png")).returncode == 0
        assert np.array_equal(np.asarray(Image16.open(tmp_path / "back.png")), array)
        assert run_cli("compare", "--key", key, str(tmp_path / "deep.png")).returncode == 0
        off_by_one = array.copy()
        off_by_one[5, 7, 1] ^= 1  # the low byte: 8-bit tools would never see it
        png16(tmp_path / "almost.png", off_by_one)
        result = run_cli("compare", "--key", key, str(tmp_path / "almost.png"), "--json")
        assert result.returncode == 8
        report = json.loads(result.stdout)
        assert report["differing_pixels"] == 1 and report["largest_difference"]["G"] == 1
        refused = run_cli("receive", "--key", key, "-o", str(tmp_path / "back.jpg"))
        assert refused.returncode == 1 and "16-bit RGB values of this RGB;16 image would be lost" in refused.stderr
    finally:
        stop(sender)


def test_a_16_bit_grey_alpha_png_is_said_to_be_converted_and_named(key, tmp_path):
    """A 16-bit file imgshare cannot carry exactly (LA, 16 bits a channel): the share says converted and
    names the source mode, and send warns (issue 17.2)."""
    png16(tmp_path / "la16.png", wide(2, seed=5))
    sender = start_cli("send", str(tmp_path / "la16.png"), "--key", key)
    try:
        wait_for_line(sender)
        info = Receiver(key).info()
        assert info.mode == "RGBA" and info.converted and info.source_mode == "LA;16"  # as Pillow decodes it
    finally:
        stop(sender)
    assert "holds LA;16" in sender.stderr.read()


def test_golden_compare_takes_16_bit_colour_exactly_and_within_an_absolute_tolerance(tmp_path):
    """imgshare.compare (golden's engine) on 16-bit colour: each channel's 16-bit value, a difference
    in the low byte counted, an absolute tolerance in 16-bit units, a threshold refused in one sentence."""
    import imgshare
    from imgshare.golden import ToleranceError, Verdict
    array = wide(4, seed=7)
    near = array.copy()
    value = int(array[2, 3, 2])
    near[2, 3, 2] = value + 3 if value < 65533 else value - 3  # 3 apart: 8-bit tools would not see it
    png16(tmp_path / "expected.png", array)
    exact = imgshare.compare(Image16("RGBA;16", (37, 23), array.astype("<u2").tobytes()), tmp_path / "expected.png")
    assert exact.verdict is Verdict.EXACT and exact.passed
    off = imgshare.compare(near, tmp_path / "expected.png")  # a uint16 array is 16-bit colour too
    assert off.verdict is Verdict.PIXELS_DIFFER and off.differing == 1
    assert dict(off.largest) == {"R": 0.0, "G": 0.0, "B": 3.0, "A": 0.0}
    within = imgshare.compare(near, tmp_path / "expected.png", tolerance=3)
    assert within.verdict is Verdict.WITHIN_TOLERANCE and within.passed
    with pytest.raises(ToleranceError, match="16-bit colour"):
        imgshare.compare(near, tmp_path / "expected.png", threshold=0.1)
