"""`compare --batch ACTUAL_DIR EXPECTED_DIR --report OUT`: pairs by name, one side only fails, exit 0
only when all pass; report.json and junit.xml for machines, and index.html opened from the file system
in headless Chromium: failures first, every picture loads, flipping between expected, actual and diff."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from tests.conftest import run_cli
from tests.golden.tools import NODE_DIR, node_tool_env, scene

DIFFERS = 8


def make_folders(tmp_path):
    actual, expected = tmp_path / "actual", tmp_path / "expected"
    (actual / "menus").mkdir(parents=True)
    (expected / "menus").mkdir(parents=True)
    for n, name in enumerate(["home.png", "menus/file.png", "settings.png"]):
        image = scene((64, 48), n)
        image.save(expected / name)
        if name == "settings.png":
            image = image.copy()
            image.paste((255, 0, 0, 255), (3, 3, 9, 9))
        image.save(actual / name)
    scene((64, 48), 9).save(actual / "extra.png")  # no expected image
    scene((64, 48), 10).save(expected / "lost.png")  # no actual image
    (expected / "home.imgshare.json").write_text('{"threshold": 0.1}')  # a sidecar is not an image
    return actual, expected


def test_batch_writes_a_report_that_works_in_a_real_browser(tmp_path):
    actual, expected = make_folders(tmp_path)
    report = tmp_path / "report"
    result = run_cli("compare", "--batch", str(actual), str(expected), "--report", str(report), "--metrics")
    assert result.returncode == DIFFERS, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"3 failed, 2 passed of 5 pairs; report: {report / 'index.html'}"
    assert sorted(line.split(":")[0] for line in lines[:-1]) == [
        "FAIL extra.png", "FAIL lost.png", "FAIL settings.png", "PASS home.png", "PASS menus/file.png"]

    facts = json.loads((report / "report.json").read_text())
    assert (facts["passed"], facts["failed"]) == (2, 3)
    assert [p["name"] for p in facts["pairs"]] == ["extra.png", "lost.png", "settings.png", "home.png",
                                                   "menus/file.png"]  # failures first
    settings = facts["pairs"][2]
    assert settings["differing_pixels"] == 36 and settings["ssim"] < 1
    assert facts["pairs"][3]["tolerances"]["threshold"] == 0.1  # home.png's sidecar
    suite = ElementTree.parse(report / "junit.xml").getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "5" and suite.get("failures") == "3"
    cases = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    assert set(cases) == {"extra.png", "lost.png", "settings.png", "home.png", "menus/file.png"}
    assert cases["home.png"] is None and "36 of 3072" in (cases["settings.png"].get("message") or "")

    env = node_tool_env()
    script = NODE_DIR / "report_check.mjs"
    shutil.copyfile(Path(__file__).with_name("report_check.mjs"), script)
    done = subprocess.run(["node", str(script), str(report / "index.html"), str(tmp_path / "profile")],
                          capture_output=True, text=True, env=env, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == [] and seen["title"] == "imgshare compare: 3 failed, 2 passed"
    assert [p["name"] for p in seen["pairs"]] == [p["name"] for p in facts["pairs"]]
    assert [p["failed"] for p in seen["pairs"]] == [True, True, True, False, False]
    assert all(seen["loaded"]) and len(seen["loaded"]) == 5
    settings_seen = seen["pairs"][2]
    assert settings_seen["sides"] == ["expected", "actual", "diff"] and settings_seen["shown"] == "diff"
    assert seen["pairs"][0]["sides"] == ["actual"]  # extra.png: no expected, nothing to compare
    flips = seen["flips"]  # on settings.png, the first pair with all three pictures
    assert flips[0] == "images/0003-expected.png" and flips[1] == "images/0003-actual.png"
    assert flips[2] == "images/0003-diff.png" and flips[3] == 64
    assert seen["visibleWhenFailedOnly"] == 3
    assert (report / "screenshot.png").stat().st_size > 0


def test_batch_of_passing_pairs_exits_0_and_folders_are_checked(tmp_path):
    folder = tmp_path / "same"
    folder.mkdir()
    scene((64, 48), 1).save(folder / "a.png")
    assert run_cli("compare", "--batch", str(folder), str(folder)).returncode == 0
    missing = run_cli("compare", "--batch", str(folder), str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "is not one" in missing.stderr
