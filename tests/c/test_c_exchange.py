"""Images between the C library and imgshare's Python implementation, each side in its own process:
every mode, odd sizes, padded rows, written in place or shared from a buffer, copied or borrowed,
pixel for pixel and with their metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from imgshare.ipc import Receiver, Sender
from imgshare.ipc.info import ShareInfo
from tests.c.conftest import run_c
from tests.c.images import MODES, SIZES, as_array, random_rows, row_bytes
from tests.conftest import run_cli, wait_until
from tests.helpers.layout import published
from tests.ipc_cleanup import objects_of

CASES = [(mode, size) for mode in MODES for size in SIZES]
IDS = [f"{mode}-{w}x{h}" for mode, (w, h) in CASES]


@pytest.mark.parametrize(("mode", "size"), CASES, ids=IDS)
def test_c_sender_to_python_receiver_every_mode_and_size(c_build, start_c, new_key, tmp_path, mode, size):
    width, height = size
    rows = random_rows(mode, width, height, seed=width * height + len(mode))
    (tmp_path / "rows").write_bytes(rows)
    expected = as_array(mode, width, height, rows)
    # from a buffer with padded rows, and written in place through imgshare_frame_begin()
    for way in (["--pad", "13"], ["--frame"]):
        key = new_key()
        sender = start_c(c_build.program("tool"), "send", key, mode, width, height, tmp_path / "rows", *way)
        assert sender.expect("shared") == "shared 1"
        with Receiver(key) as receiver:
            array, info = receiver.receive_array()
        assert (info.mode, info.width, info.height, info.sequence, info.sender_alive) == (mode, width, height, 1, True)
        assert info.stride == row_bytes(mode, width)  # the padding given to the library is not carried
        assert array.shape == expected.shape
        assert array.tobytes() == expected.tobytes()
        assert sender.finish() == 0
        assert objects_of(key) == []  # closing removed the segment and the three semaphores


@pytest.mark.parametrize(("mode", "size"), CASES, ids=IDS)
def test_python_sender_to_c_receiver_every_mode_and_size(c_build, key, tmp_path, mode, size):
    width, height = size
    rows = random_rows(mode, width, height, seed=width + height * 7 + len(mode))
    with Sender(key) as sender:
        if mode == "P":
            image = Image.frombytes("P", size, rows)
            palette = bytes(range(256)) * 3
            image.putpalette(palette, "RGB")
            image.info["transparency"] = bytes(range(255, -1, -1))  # 256 alpha entries
            sender.share(image, source_name="/some/where/indexed.png")
        else:
            sender.share(np.array(as_array(mode, width, height, rows)), source_name="array")
        row = row_bytes(mode, width)
        for args in ([], ["--stride", str(row + 5)], ["--borrow"]):
            out = tmp_path / "out"
            result = run_c(c_build.program("tool"), "receive", key, out, *args)
            assert result.returncode == 0, result.stderr
            assert out.read_bytes() == rows, args
            line = result.stdout
            assert f"image {mode} {width}x{height} stride={row} seq=1 missed=0" in line
            assert "alive=1 persisted=0" in line
            if mode == "P":
                assert "palette=RGB/768 transparency=3/256" in line and "source=indexed.png" in line
            else:
                assert "source=array" in line


def test_c_sender_extras_reach_python_and_the_cli(c_build, start_c, key, tmp_path):
    """Palette, transparency, BGR order and the source name of a C share, as Python and the CLI see them."""
    width, height = 31, 7
    rows = random_rows("P", width, height, seed=3)
    (tmp_path / "rows").write_bytes(rows)
    (tmp_path / "palette").write_bytes(bytes((i * 5) & 0xFF for i in range(768)))
    sender = start_c(c_build.program("tool"), "send", key, "P", width, height, tmp_path / "rows",
                     "--palette", tmp_path / "palette", "--transparency", "3", "0", "0", "0",
                     "--source", "dir/café ☃.pam")
    sender.expect("shared")
    image, info = Receiver(key).receive()
    assert image.mode == "P" and image.tobytes() == rows
    assert image.getpalette("RGB") == list(bytes((i * 5) & 0xFF for i in range(768)))
    assert image.info["transparency"] == bytes((i * 5) & 0xFF for i in range(256))
    assert info.source_name == "café ☃.pam"  # the base name
    out = tmp_path / "from-c.png"
    cli = run_cli("receive", "--key", key, "-o", str(out))
    assert cli.returncode == 0, cli.stderr
    with Image.open(out) as saved:
        assert saved.mode == "P" and saved.tobytes() == rows
    described = run_cli("info", "--key", key, "--json")
    assert described.returncode == 0, described.stderr
    facts = json.loads(described.stdout)
    assert (facts["mode"], facts["width"], facts["state"], facts["source_name"]) == ("P", 31, "alive", "café ☃.pam")
    assert sender.finish() == 0


def test_c_bgr_share_reaches_python_in_rgb_order(c_build, start_c, key, tmp_path):
    width, height = 317, 211
    rows = random_rows("RGB", width, height, seed=11)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "RGB", width, height, tmp_path / "rows", "--bgr",
                     "--pad", "1")
    sender.expect("shared")
    with Receiver(key) as receiver:
        rgb, info = receiver.receive_array()
        bgr, _ = receiver.receive_array(channels="BGR")
    assert info.bgr
    assert bgr.tobytes() == rows  # carried as given: no conversion for an OpenCV reader
    assert rgb.tobytes() == as_array("RGB", width, height, rows)[..., ::-1].tobytes()
    out = tmp_path / "from-c.png"
    assert run_cli("receive", "--key", key, "-o", str(out)).returncode == 0
    with Image.open(out) as saved:
        assert saved.tobytes() == rgb.tobytes()
    assert sender.finish() == 0


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I;16", "1", "LA"])
def test_cli_receives_a_c_share_pixel_exact(c_build, start_c, key, tmp_path, mode):
    width, height = 317, 211
    rows = random_rows(mode, width, height, seed=5)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, mode, width, height, tmp_path / "rows", "--frame")
    sender.expect("shared")
    out = tmp_path / "out.png"
    result = run_cli("receive", "--key", key, "-o", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as saved:
        assert saved.mode == mode and saved.size == (width, height)
        assert saved.tobytes("raw", {"I;16": "I;16", "1": "1"}.get(mode, mode)) == rows
    assert sender.finish() == 0


def test_persisted_c_share_outlives_its_sender_and_python_takes_it_over(c_build, start_c, key, tmp_path):
    rows = random_rows("RGBA", 5, 4, seed=1)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "RGBA", 5, 4, tmp_path / "rows", "--persist")
    sender.expect("shared")
    assert sender.finish() == 0
    array, info = Receiver(key).receive_array()
    assert array.tobytes() == rows and info.persisted and not info.sender_alive
    with Sender(key) as python_sender:
        assert python_sender.share(np.zeros((4, 5, 4), np.uint8)) == 2  # the sequence continues
    assert objects_of(key) == []


def test_c_receiver_reports_the_statuses_of_the_cli(c_build, key, tmp_path):
    nothing = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
    assert nothing.returncode == 3 and "nothing is shared under the key" in nothing.stderr
    bad_key = run_c(c_build.program("tool"), "receive", "bad\u200bkey", tmp_path / "out")
    assert bad_key.returncode == 2 and "U+200B" in bad_key.stderr
    with Sender(key) as sender:
        sender.share(Image.new("RGB", (3, 3)))
        seen = wait_until(lambda: run_c(c_build.program("tool"), "info", key).stdout, what="the C info line")
        assert "image RGB 3x3" in str(seen)
    assert objects_of(key) == []


def test_a_failed_read_leaves_the_info_zeroed(c_build, key, tmp_path):
    """Issue 17.24: the tool fills its imgshare_info with 0xA5 before each call and exits 99 if a failed
    call left anything in it: nothing shared (3), a checksum failure after the header was read (4), and no
    new image in time after an earlier one was read (5)."""
    tool = c_build.program("tool")
    for args in (["info", key], ["receive", key, tmp_path / "out"], ["receive", key, tmp_path / "out", "--borrow"]):
        result = run_c(tool, *args)
        assert result.returncode == 3, (args, result.stderr)
    with Sender(key) as sender:
        sender.share(np.full((6, 6, 3), 7, np.uint8))
        timed_out = run_c(tool, "follow", key, "2", "0.2")
        assert timed_out.returncode == 5, timed_out.stderr
        assert "\nframe 1 " in timed_out.stdout
        sender.share(np.full((6, 6, 3), 9, np.uint8))
        image = published(key)
        try:
            image.shm.write(b"\x01", image.payload + 5)  # a stray write into the pixels: the header reads fine
        finally:
            image.detach()
        for args in (["receive", key, tmp_path / "out"], ["receive", key, tmp_path / "out", "--borrow"]):
            result = run_c(tool, *args)
            assert result.returncode == 4 and "failed its checksum" in result.stderr, (args, result.stderr)


def test_c_receiver_follows_a_python_sender_that_moves_to_bigger_segments(c_build, key, tmp_path):
    with Sender(key) as sender:
        for width in (3, 300, 2000, 1):
            rows = random_rows("RGBA", width, 5, seed=width)
            sender.share(np.array(as_array("RGBA", width, 5, rows)))
            out = tmp_path / "out"
            result = run_c(c_build.program("tool"), "receive", key, out)
            assert result.returncode == 0, result.stderr
            assert out.read_bytes() == rows


def test_info_identity_compares_like_python(c_build, start_c, key, tmp_path):
    """The C sender's sender_pid, sequence and timestamp are what Python's ShareInfo.identity uses."""
    (tmp_path / "rows").write_bytes(bytes(12))
    sender = start_c(c_build.program("tool"), "send", key, "RGB", 2, 2, tmp_path / "rows")
    sender.expect("shared")
    first = Receiver(key).info()
    second = Receiver(key).info()
    assert isinstance(first, ShareInfo) and first.identity == second.identity
    assert first.sender_pid == sender.process.pid
    assert sender.finish() == 0


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_large_images_are_exact_both_ways(c_build, start_c, new_key, tmp_path, mode):
    """Images of 4 MiB and more are copied with streaming stores, rows at any alignment."""
    width, height = 2001, 701  # RGB rows of 6003 bytes: every row starts at another alignment
    rows = random_rows(mode, width, height, seed=21)
    (tmp_path / "rows").write_bytes(rows)
    key = new_key()
    sender = start_c(c_build.program("tool"), "send", key, mode, width, height, tmp_path / "rows")
    sender.expect("shared")
    with Receiver(key) as receiver:
        assert receiver.receive_array()[0].tobytes() == rows
    for args in ([], ["--stride", str(row_bytes(mode, width) + 7)]):
        out = tmp_path / "out"
        assert run_c(c_build.program("tool"), "receive", key, out, *args).returncode == 0
        assert out.read_bytes() == rows
    assert sender.finish() == 0
    key = new_key()
    with Sender(key) as python_sender:
        python_sender.share(np.array(as_array(mode, width, height, rows)))
        out = tmp_path / "out"
        result = run_c(c_build.program("tool", True), "receive", key, out, "--stride", str(row_bytes(mode, width) + 3))
        assert result.returncode == 0 and result.stderr == "", result.stderr
        assert out.read_bytes() == rows


TAGS = {"camera": "left", "exposure_us": 250, "gain": 1.5, "ok": True, "none": None, "café ☃": "\u0007bell",
        "nested": {"a": [1, 2, {"b": []}]}}


def test_tags_travel_both_ways(c_build, start_c, key, tmp_path):
    """Per-image tags (a JSON object): written by C and read by Python and the CLI, written by Python and
    read by C, each with the image they were attached to."""
    rows = random_rows("L", 7, 3, seed=2)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "L", 7, 3, tmp_path / "rows", "--tags",
                     json.dumps(TAGS, ensure_ascii=False))
    sender.expect("shared 1")
    info = Receiver(key).info()
    assert info.tags == TAGS
    described = run_cli("info", "--key", key, "--json")
    assert described.returncode == 0 and json.loads(described.stdout)["tags"] == TAGS, described.stderr
    assert sender.finish() == 0
    with Sender(key) as python_sender:
        python_sender.share(np.zeros((3, 7), np.uint8), tags=TAGS)
        result = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.split(" tags=", 1)[1]) == TAGS
        python_sender.share(np.zeros((3, 7), np.uint8))  # the next image has none
        result = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
        assert result.stdout.rstrip("\n").endswith(" tags=")


def test_c_refuses_tags_imgshare_cannot_carry(c_build, key, tmp_path):
    (tmp_path / "rows").write_bytes(bytes(1))
    for tags, problem in (("[1, 2]", "not a JSON object"), ('{"a": 1, "a": 2}', "two members of the same name"),
                          ('{"x": NaN}', "not a JSON value"), ('{"a": ' * 17 + "1" + "}" * 17, "deeper than 16"),
                          ('{"s": "' + "x" * 4100 + '"}', "longer than 4096")):
        result = run_c(c_build.program("tool"), "send", key, "L", "1", "1", tmp_path / "rows", "--tags", tags)
        assert result.returncode == 2 and problem in result.stderr, (tags[:40], result.stderr)
    assert objects_of(key) == []  # refused before anything was made


@pytest.mark.parametrize("mode", ["RGB;16", "RGBA;16"])
def test_sixteen_bit_colour_is_exact_both_ways_and_through_the_cli(c_build, start_c, new_key, tmp_path, mode):
    """RGB;16 and RGBA;16 (16 bits a channel): from C to Python (numpy uint16) and to a 48/64-bit PNG by the
    CLI, from Python to C, with BGR order kept as it is."""
    width, height = 37, 11
    rows = random_rows(mode, width, height, seed=16)
    (tmp_path / "rows").write_bytes(rows)
    key = new_key()
    sender = start_c(c_build.program("tool"), "send", key, mode, width, height, tmp_path / "rows", "--pad", "6")
    sender.expect("shared 1")
    array, info = Receiver(key).receive_array()
    assert (info.mode, array.dtype, array.shape) == (mode, np.uint16, (height, width, len(mode) - 3))
    assert array.tobytes() == rows
    out = tmp_path / "out.png"
    cli = run_cli("receive", "--key", key, "-o", str(out))
    assert cli.returncode == 0, cli.stderr
    from imgshare.imaging import load_image

    loaded = load_image(out)
    assert getattr(loaded, "mode", None) == mode and loaded.tobytes() == rows  # exact: no 8-bit cut
    assert sender.finish() == 0
    key = new_key()
    with Sender(key) as python_sender:
        channels = "BGR" if mode == "RGB;16" else "BGRA"
        python_sender.share(np.array(as_array(mode, width, height, rows)), channels=channels)
        result = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
        assert result.returncode == 0, result.stderr
        assert f"image {mode} {width}x{height}" in result.stdout and " bgr=1 " in result.stdout
        assert (tmp_path / "out").read_bytes() == rows  # carried as given


def test_a_c_follower_counts_missed_images_across_a_new_epoch(c_build, start_c, key):
    """A sender stops cleanly and another starts: its sequence starts again at 1 in a new epoch, and the C
    follower counts what it missed from the epoch, never a negative or a wrapped number (issue 17.13)."""
    with Sender(key) as sender:
        for _ in range(5):
            sender.share(np.zeros((2, 2), np.uint8))
        follower = start_c(c_build.program("tool"), "follow", key, "3", "20", "--step")  # its first: image 5
        assert follower.expect("frame").split()[1:3] == ["5", "0"]
    with Sender(key) as sender:  # a new epoch
        for _ in range(3):
            sender.share(np.zeros((2, 2), np.uint8))
        follower.send("next\n")
        assert follower.expect("frame").split()[1:3] == ["3", "2"]  # images 1 and 2 of the new epoch missed
        follower.send("next\n")
        sender.share(np.zeros((2, 2), np.uint8))
        assert follower.expect("frame").split()[1:3] == ["4", "0"]
    assert follower.finish() == 0
