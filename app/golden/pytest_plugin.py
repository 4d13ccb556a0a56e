"""The pytest plugin (entry point `pytest11`): the fixture `imgshare_golden` and `--imgshare-update`.

    def test_home_screen(imgshare_golden):
        imgshare_golden(render_home(), "golden/home.png", threshold=0.1, max_diff_pixels=20)

The golden path is relative to the test file. A missing golden fails once and is written from the
actual image, so the next run passes; `pytest --imgshare-update` rewrites goldens that differ. On a
failure the message gives the count and where the actual, expected and diff pictures were written.
Tolerances beside the golden (golden/home.imgshare.json) apply; those given in the call win.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

UPDATE_OPTION = "--imgshare-update"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imgshare", "imgshare golden images")
    group.addoption(UPDATE_OPTION, action="store_true", default=False,
                    help="rewrite golden images that differ from the actual ones (imgshare_golden)")


class GoldenCheck:
    """Called as imgshare_golden(image, "golden/name.png", **tolerances); returns the CompareResult."""

    def __init__(self, request: pytest.FixtureRequest):
        self._request = request
        self.update = bool(request.config.getoption(UPDATE_OPTION))
        self.rewritten: list[str] = []

    def __call__(self, image: Any, golden: str | os.PathLike[str], **tolerances: Any) -> Any:
        from ..imaging import lossless_extension, save_image
        from . import compare_images, load_side
        from .goldens import write_golden
        from .sidecar import merged, read_sidecar
        path = Path(self._request.path).parent / golden
        actual = load_side(image, "actual image")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_golden(actual, path)
            pytest.fail(f"no golden image {path}: wrote it from the actual image; the next run compares "
                        "with it (check it, then commit it)", pytrace=False)
        names = {"tolerance": "deep_tolerance", "ignore": "ignore"}
        given = {names.get(k, k): (tuple(v) if k == "ignore" else v) for k, v in tolerances.items()}
        if "ignore" in given:
            from . import _region
            given["ignore"] = tuple(_region(r) for r in given["ignore"])
        result = compare_images(actual, load_side(path, "golden image"), merged(read_sidecar(path), **given))
        if result.passed:
            return result
        if self.update:
            write_golden(actual, path)
            self.rewritten.append(str(path))
            return result
        folder = Path(self._request.getfixturevalue("tmp_path"))
        stem = path.stem
        written = {"actual": folder / f"{stem}.actual{lossless_extension(actual.mode)}",
                   "expected": folder / f"{stem}.expected{lossless_extension(actual.mode)}",
                   "diff": folder / f"{stem}.diff.png"}
        save_image(actual, written["actual"])
        save_image(load_side(path), written["expected"])
        picture = result.diff
        if picture is not None:
            save_image(picture, written["diff"])
        where = ", ".join(f"{name} {file}" for name, file in written.items() if file.exists())
        pytest.fail(f"{path.name}: {result.summary()}\n  written: {where}\n"
                    f"  to accept the actual image as the new golden: pytest {UPDATE_OPTION}", pytrace=False)


@pytest.fixture
def imgshare_golden(request: pytest.FixtureRequest) -> Iterator[GoldenCheck]:
    """Compare an image (Pillow, numpy array or path) with a golden file beside the test."""
    check = GoldenCheck(request)
    yield check
    if check.rewritten:
        request.config.stash.setdefault(_REWRITTEN, []).extend(check.rewritten)


_REWRITTEN = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rewritten = config.stash.get(_REWRITTEN, [])
    if rewritten:
        terminalreporter.write_line(f"imgshare: rewrote {len(rewritten)} golden image"
                                    f"{'s' if len(rewritten) != 1 else ''}: {', '.join(rewritten)}")
