"""`imgshare compare` as a golden-image check, in real processes on real files: ACTUAL EXPECTED, the
tolerances, regions and masks, --json, --metrics, --diff's rules, the sidecar, and --until-match
following a real share."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from imgshare.ipc import sysv_key
from imgshare.ipc.sysv.procfs import shm_row, shmid_at
from tests.conftest import run_cli, start_cli, wait_until
from tests.golden.tools import scene

DIFFERS = 8


def files(tmp_path, expected: Image.Image, actual: Image.Image) -> tuple[str, str]:
    expected.save(tmp_path / "expected.png")
    actual.save(tmp_path / "actual.png")
    return str(tmp_path / "actual.png"), str(tmp_path / "expected.png")


def test_actual_and_expected_files_with_tolerances_limits_and_json(tmp_path):
    expected = scene((120, 90), 3)
    actual = expected.copy()
    actual.paste((255, 0, 0, 255), (10, 10, 14, 13))  # 12 pixels: a real difference
    actual.putpixel((100, 80), tuple(max(0, v - 3) for v in expected.getpixel((100, 80))[:3]) + (255,))  # faint
    a, e = files(tmp_path, expected, actual)
    exact = run_cli("compare", a, e)
    assert exact.returncode == DIFFERS and exact.stdout.startswith("differs: 13 of 10800 pixels"), exact.stdout
    assert f"({a}, expected expected.png)" in exact.stdout
    tolerant = run_cli("compare", a, e, "--threshold", "0.1")
    assert tolerant.returncode == DIFFERS and tolerant.stdout.startswith("differs: 12 of 10800 pixels")
    assert run_cli("compare", a, e, "--threshold", "0.1", "--max-diff-pixels", "12").returncode == 0
    assert run_cli("compare", a, e, "--threshold", "0.1", "--max-diff-pixels", "11").returncode == DIFFERS
    assert run_cli("compare", a, e, "--threshold", "0.1", "--max-diff-ratio", "0.0012").returncode == 0
    assert run_cli("compare", a, e, "--threshold", "0.1", "--max-diff-ratio", "0.001").returncode == DIFFERS
    ignored = run_cli("compare", a, e, "--threshold", "0.1", "--ignore", "8,8,10,10", "--json", "--metrics")
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    facts = json.loads(ignored.stdout)
    assert facts["passed"] is True and facts["differing_pixels"] == 0 and facts["ignored_pixels"] == 100
    assert facts["verdict"] == "within tolerance" and facts["actual_file"] == a
    assert 20 < facts["psnr"] < 100 and 0.9 < facts["ssim"] < 1
    mask = Image.new("L", expected.size, 0)
    mask.paste(255, (10, 10, 14, 13))
    mask.save(tmp_path / "mask.png")
    masked = run_cli("compare", a, e, "--mask", str(tmp_path / "mask.png"), "--json")
    assert masked.returncode == DIFFERS and json.loads(masked.stdout)["differing_pixels"] == 1  # the faint one
    same = run_cli("compare", e, e, "--json", "--metrics")
    assert same.returncode == 0 and json.loads(same.stdout)["psnr"] is None  # infinite: equal


def test_bad_tolerances_and_usage_are_one_sentence(tmp_path):
    image = scene((20, 20), 1)
    a, e = files(tmp_path, image, image)
    for args, code, words in ((["--threshold", "2"], 2, "between 0 and 1"),
                              (["--ignore", "1,2,3"], 2, "X,Y,W,H"),
                              (["--ignore", "0,0,0,5"], 2, "empty"),
                              (["--tolerance", "1"], 2, "I;16, I and F"),
                              (["--mask", str(tmp_path / "nothing.png")], 1, "no such file")):
        result = run_cli("compare", a, e, *args)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.count("imgshare: error: ") == 1 and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert run_cli("compare", a, e, e).returncode == 2
    deep = Image.fromarray(np.full((5, 5), 1000, np.uint16))
    deep.save(tmp_path / "deep.png")
    refused = run_cli("compare", str(tmp_path / "deep.png"), str(tmp_path / "deep.png"), "--threshold", "0.1")
    assert refused.returncode == 2 and "absolute tolerance" in refused.stderr


def test_transparency_is_part_of_equality(tmp_path):
    grey = Image.new("L", (9, 7), 40)
    grey.putpixel((2, 2), 18)
    grey.putpixel((3, 3), 17)
    grey.save(tmp_path / "a.png", transparency=18)
    grey.save(tmp_path / "b.png", transparency=17)
    result = run_cli("compare", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--json")
    assert result.returncode == DIFFERS, result.stdout
    assert json.loads(result.stdout)["differing_pixels"] == 2  # each of them opaque on one side only
    plain = Image.new("L", (9, 7), 40)
    plain.save(tmp_path / "c.png", transparency=18)
    plain.save(tmp_path / "d.png", transparency=17)
    result = run_cli("compare", str(tmp_path / "c.png"), str(tmp_path / "d.png"))
    assert result.returncode == DIFFERS
    assert result.stdout.startswith("differs: the same values, but the transparent colour is 18, expected 17")
    assert run_cli("compare", str(tmp_path / "c.png"), str(tmp_path / "c.png")).returncode == 0


def test_deep_modes_use_an_absolute_tolerance_in_their_own_units(tmp_path):
    base = np.arange(60, dtype=np.float32).reshape(6, 10) * 1000
    nudged = base.copy()
    nudged[2, 3] += 0.25
    nudged[4, 4] += 3
    Image.fromarray(base, "F").save(tmp_path / "e.tif")
    Image.fromarray(nudged, "F").save(tmp_path / "a.tif")
    a, e = str(tmp_path / "a.tif"), str(tmp_path / "e.tif")
    assert json.loads(run_cli("compare", a, e, "--json").stdout)["differing_pixels"] == 2
    assert json.loads(run_cli("compare", a, e, "--json", "--tolerance", "0.5").stdout)["differing_pixels"] == 1
    assert run_cli("compare", a, e, "--tolerance", "3").returncode == 0


def test_diff_follows_the_output_rules_and_always_says_what_it_wrote(tmp_path):
    """Issue 17 point 3: no overwrite without --force, a sentence for each write, a picture when equal too."""
    expected = scene((40, 30), 5)
    a, e = files(tmp_path, expected, expected)
    out = tmp_path / "diff.png"
    equal = run_cli("compare", a, e, "--diff", str(out))
    assert equal.returncode == 0 and f"wrote the difference picture {out}" in equal.stdout
    with Image.open(out) as picture:
        assert picture.size == (40, 30) and (255, 0, 0) not in [c for _, c in picture.getcolors(5000)]
    before = out.read_bytes()
    refused = run_cli("compare", a, e, "--diff", str(out))
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == f"imgshare: error: {out} already exists; use --force to overwrite it\n"
    assert out.read_bytes() == before
    changed = expected.copy()
    changed.putpixel((5, 5), (0, 0, 0, 255))
    changed.save(tmp_path / "changed.png")
    forced = run_cli("compare", str(tmp_path / "changed.png"), e, "--diff", str(out), "--force", "--json")
    assert forced.returncode == DIFFERS and json.loads(forced.stdout)["diff_file"] == str(out)
    assert f"wrote the difference picture {out}" in forced.stderr
    with Image.open(out) as picture:
        assert picture.getpixel((5, 5)) == (255, 0, 0)
    assert run_cli("compare", a, e, "--diff", str(tmp_path / "no-folder" / "d.png")).returncode == 1
    assert not (tmp_path / "no-folder").exists()


def test_a_sidecar_beside_the_golden_is_read_and_options_win(tmp_path):
    expected = scene((60, 40), 6)
    actual = expected.copy()
    actual.paste((0, 0, 0, 255), (0, 0, 5, 4))  # 20 pixels
    a, e = files(tmp_path, expected, actual)
    sidecar = tmp_path / "expected.imgshare.json"
    sidecar.write_text(json.dumps({"threshold": 0.1, "ignore": [[0, 0, 5, 2]], "max_diff_pixels": 10}))
    result = run_cli("compare", a, e, "--json")
    facts = json.loads(result.stdout)
    assert result.returncode == 0 and facts["differing_pixels"] == 10 and facts["ignored_pixels"] == 10
    assert facts["tolerances"]["threshold"] == 0.1
    assert run_cli("compare", a, e, "--max-diff-pixels", "9").returncode == DIFFERS  # the option wins
    assert run_cli("compare", a, e, "--no-sidecar").returncode == DIFFERS
    sidecar.write_text('{"threshold": "high"}')
    broken = run_cli("compare", a, e)
    assert broken.returncode == 1 and str(sidecar) in broken.stderr and "Traceback" not in broken.stderr


def test_until_match_follows_the_share_until_an_image_passes(key, tmp_path):
    wrong, right = scene((50, 40), 7), scene((50, 40), 8)
    wrong.save(tmp_path / "wrong.png")
    right.save(tmp_path / "right.png")
    assert run_cli("send", str(tmp_path / "wrong.png"), "--key", key, "--persist").returncode == 0
    waiting = start_cli("compare", "--key", key, str(tmp_path / "right.png"), "--until-match", "--wait", "60",
                        "--json")
    # the first image it compares is the wrong one (it has attached the persisted share, which nobody
    # else has attached); then the right one is shared
    segment = shmid_at(sysv_key(key))
    assert segment is not None
    assert (shm_row(segment) or {}).get("nattch") == 0
    wait_until(lambda: (shm_row(segment) or {}).get("nattch", 0) >= 1, what="compare to attach the share")
    assert run_cli("send", str(tmp_path / "right.png"), "--key", key, "--persist").returncode == 0
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    facts = json.loads(out)
    assert facts["passed"] is True and facts["sequence"] >= 2 and facts["key"] == key
    closest = run_cli("compare", "--key", key, str(tmp_path / "wrong.png"), "--until-match", "--wait", "0.5")
    assert closest.returncode == DIFFERS and closest.stdout.startswith("differs: ")
    assert run_cli("compare", "--key", key, str(tmp_path / "right.png"), "--until-match").returncode == 2
