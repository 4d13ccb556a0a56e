"""scripts/run from a fresh copy of the tree on a machine with no display: the first run sets up, the
second starts at once (no pip), and each opens the window on a virtual display of its own, never on a
display someone else has."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.checkout import copy_of_the_checkout
from tests.conftest import ROOT

pytestmark = pytest.mark.timeout(900)
SETTING_UP = "bootstrap: setting up .venv"
STARTED = re.compile(r"run: no display found; started a virtual one \(Xvfb :(\d+)\)")


def _copy_of_the_tree(target: Path) -> Path:
    return copy_of_the_checkout(target, untracked=True)


def _displays_in_use() -> set[str]:
    return {name[2:-5] for name in os.listdir("/tmp") if re.fullmatch(r"\.X\d+-lock", name)}


def _run(tree: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "VIRTUAL_ENV", "PYTHONPATH")}
    # self-test opens a real Tk window on the display scripts/run made, and exits.
    return subprocess.run([str(tree / "scripts" / "run"), "self-test"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=600)


def test_second_run_starts_without_pip_on_a_display_of_its_own(tmp_path):
    tree = _copy_of_the_tree(tmp_path / "clone")
    first = _run(tree)
    assert first.returncode == 0, first.stdout + first.stderr
    assert SETTING_UP in first.stderr
    stamp = tree / ".venv" / ".bootstrap-stamp"
    stamped = stamp.stat().st_mtime_ns
    installed = sorted(p.name for p in (tree / ".venv").rglob("imgshare-*.dist-info"))
    in_use = _displays_in_use()
    second = _run(tree)
    assert second.returncode == 0, second.stdout + second.stderr
    assert SETTING_UP not in second.stderr and "Editable installation" not in second.stderr, second.stderr
    assert stamp.stat().st_mtime_ns == stamped
    assert sorted(p.name for p in (tree / ".venv").rglob("imgshare-*.dist-info")) == installed
    for done in (first, second):
        assert "ok   Tk window and PIL.ImageTk" in done.stdout, done.stdout
        display = STARTED.search(done.stderr)
        assert display, done.stderr
        assert not os.path.exists(f"/tmp/.X{display.group(1)}-lock")  # its own Xvfb, stopped at the end
    assert display.group(1) not in in_use  # a display nobody else had when it started


def test_a_verb_without_a_window_starts_no_virtual_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "VIRTUAL_ENV")}
    for args in (["--version"], ["key", "abc"], ["list"], ["receive", "--help"]):
        done = subprocess.run([str(ROOT / "scripts" / "run"), *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, (args, done.stderr)
        assert "run: no display found" not in done.stderr, args  # no Xvfb for a command with no window
