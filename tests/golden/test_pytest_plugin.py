"""The pytest plugin in a temporary project (pytester, a real pytest run in a subprocess): the
fixture imgshare_golden is there through the pytest11 entry point, a missing golden fails once and is
written, a difference fails with the count and where the pictures went, tolerances and the sidecar
let it pass, and --imgshare-update rewrites a golden that differs."""

from __future__ import annotations

import json

import pytest
from PIL import Image

pytest_plugins = ["pytester"]

TEST_FILE = """
import os
from PIL import Image

def picture():
    image = Image.new("RGB", (40, 30), (200, 200, 200))
    for x in range(int(os.environ.get("CHANGED", "0"))):
        image.putpixel((x, 0), (0, 0, 0))
    return image

def test_screen(imgshare_golden):
    imgshare_golden(picture(), "golden/screen.png")

def test_tolerant(imgshare_golden):
    imgshare_golden(picture(), "golden/tolerant.png", threshold=0.1, max_diff_pixels=3)
"""


@pytest.fixture
def project(pytester):
    pytester.makepyfile(test_screens=TEST_FILE)
    return pytester


def run(project, *args, changed=0):
    project._monkeypatch.setenv("CHANGED", str(changed))
    return project.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_goldens_are_written_on_the_first_run_then_compared(project):
    first = run(project)
    first.assert_outcomes(failed=2)
    first.stdout.fnmatch_lines(["*no golden image *golden/screen.png: wrote it from the actual image*"])
    golden = project.path / "golden" / "screen.png"
    with Image.open(golden) as written:
        assert written.size == (40, 30) and written.getpixel((0, 0)) == (200, 200, 200)
    run(project).assert_outcomes(passed=2)

    changed = run(project, changed=2)
    changed.assert_outcomes(failed=1, passed=1)  # tolerant.png lets 3 pixels differ
    changed.stdout.fnmatch_lines(["*screen.png: differs: 2 of 1200 pixels*",
                                  "*written: actual *screen.actual.png, expected *screen.expected.png, "
                                  "diff *screen.diff.png*", "*pytest --imgshare-update*"])
    diff_path = next(line.split("diff ")[-1] for line in changed.outlines if "written: actual" in line)
    with Image.open(diff_path.strip()) as diff:
        assert diff.getpixel((0, 0)) == (255, 0, 0) and diff.getpixel((5, 5)) != (255, 0, 0)

    run(project, changed=4).assert_outcomes(failed=2)
    sidecar = project.path / "golden" / "tolerant.imgshare.json"
    sidecar.write_text(json.dumps({"ignore": [[0, 0, 2, 1]]}))  # adds up with the call's tolerances
    run(project, changed=4).assert_outcomes(failed=1, passed=1)


def test_imgshare_update_rewrites_goldens_that_differ(project):
    run(project)
    updated = run(project, "--imgshare-update", changed=5)
    updated.assert_outcomes(passed=2)
    updated.stdout.fnmatch_lines(["imgshare: rewrote 2 golden images: *"])
    with Image.open(project.path / "golden" / "screen.png") as golden:
        assert golden.getpixel((4, 0)) == (0, 0, 0)
    run(project, changed=5).assert_outcomes(passed=2)
    run(project).assert_outcomes(failed=2)
