"""`imgshare compare` across real processes: a sender in one, compare in another; exit 0 when the shared
image is pixel-exact, 8 when it differs (with the count and the largest difference), --json, --diff, and
the usual exit codes when nothing is shared or the file is bad."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.conftest import run_cli, start_cli
from tests.images import CARRIED, make_image
from tests.test_roundtrip import stop, wait_for_line

DIFFERS = 8


def share_persisted(key: str, path) -> None:
    result = run_cli("send", str(path), "--key", key, "--persist")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("mode", CARRIED)
def test_a_file_compared_with_its_own_live_share_is_pixel_exact(mode, key, tmp_path):
    path = tmp_path / f"expected-{mode.replace(';', '')}.tif"
    make_image(mode).save(path)
    sender = start_cli("send", str(path), "--key", key)
    try:
        assert "shared" in wait_for_line(sender)
        result = run_cli("compare", "--key", key, str(path))
    finally:
        stop(sender)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"pixel-exact: 333x77 {mode} (key {key!r}, sequence 1, expected {path.name})")
    assert result.stderr == ""


def test_changed_pixels_exit_8_with_the_count_and_largest_difference(key, tmp_path):
    shared = make_image("RGB")
    shared.save(tmp_path / "shared.png")
    share_persisted(key, tmp_path / "shared.png")
    expected = shared.copy()
    for where, change in (((0, 0), (5, 0, 0)), ((100, 40), (0, 9, 1)), ((332, 76), (3, 3, 3))):
        r, g, b = shared.getpixel(where)
        expected.putpixel(where, ((r + change[0]) % 256, (g + change[1]) % 256, (b + change[2]) % 256))
    largest = [max(abs(a - b)
                   for a, b in [(shared.getpixel(w)[c], expected.getpixel(w)[c])
                                for w in ((0, 0), (100, 40), (332, 76))]) for c in range(3)]
    expected.save(tmp_path / "expected.png")
    result = run_cli("compare", "--key", key, str(tmp_path / "expected.png"))
    assert result.returncode == DIFFERS, result.stderr
    assert result.stdout.startswith(f"differs: 3 of {333 * 77} pixels (0.01%); largest difference "
                                    f"R {largest[0]}, G {largest[1]}, B {largest[2]}")
    mask_path = tmp_path / "where.png"
    result = run_cli("compare", "--key", key, str(tmp_path / "expected.png"), "--json", "--diff", str(mask_path))
    assert result.returncode == DIFFERS, result.stderr
    facts = json.loads(result.stdout)
    assert facts["exact"] is False and facts["verdict"] == "pixels differ"
    assert facts["differing_pixels"] == 3 and facts["total_pixels"] == 333 * 77
    assert facts["largest_difference"] == {"R": largest[0], "G": largest[1], "B": largest[2]}
    assert facts["key"] == key and facts["sequence"] == 1 and facts["diff_file"] == str(mask_path)
    with Image.open(mask_path) as picture:  # the expected image faded to grey, the differing pixels red
        assert picture.mode == "RGB" and picture.size == (333, 77)
        red = [(x, y) for y in range(77) for x in range(333) if picture.getpixel((x, y)) == (255, 0, 0)]
        assert sorted(red) == [(0, 0), (100, 40), (332, 76)]
        r, g, b = picture.getpixel((1, 1))
        assert r == g == b and r > 200  # faded


def test_size_and_mode_mismatches_differ_with_the_reason(key, tmp_path):
    make_image("RGB", size=(40, 30)).save(tmp_path / "shared.png")
    share_persisted(key, tmp_path / "shared.png")
    make_image("RGB", size=(30, 40)).save(tmp_path / "turned.png")
    make_image("L", size=(40, 30)).save(tmp_path / "grey.png")
    result = run_cli("compare", "--key", key, str(tmp_path / "turned.png"))
    assert result.returncode == DIFFERS
    assert result.stdout.startswith("differs: the size is 40x30, expected 30x40")
    result = run_cli("compare", "--key", key, str(tmp_path / "grey.png"), "--json")
    assert result.returncode == DIFFERS
    facts = json.loads(result.stdout)
    assert facts["verdict"] == "mode differs" and (facts["mode"], facts["expected_mode"]) == ("RGB", "L")
    ok = run_cli("compare", "--key", key, str(tmp_path / "shared.png"), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["exact"] is True


def test_nothing_shared_a_bad_file_and_wait(key, tmp_path):
    make_image("L").save(tmp_path / "expected.png")
    (tmp_path / "notes.txt").write_text("not an image")
    result = run_cli("compare", "--key", key, str(tmp_path / "expected.png"))
    assert result.returncode == 3 and result.stderr.startswith("imgshare: error: ") and result.stdout == ""
    assert "Traceback" not in result.stderr
    result = run_cli("compare", "--key", key, str(tmp_path / "expected.png"), "--wait", "0.3")
    assert result.returncode == 5 and "within 0.3 s" in result.stderr
    result = run_cli("compare", "--key", key, str(tmp_path / "notes.txt"))
    assert result.returncode == 1 and result.stderr.startswith(f"imgshare: error: {tmp_path / 'notes.txt'}: ")
    assert run_cli("compare", "--key", key).returncode == 2  # EXPECTED is required
