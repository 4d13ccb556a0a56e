"""Fixtures for tests of the built binary: dist/imgshare built once per session (or reused when it is
newer than every source it is built from), a private Xvfb, and a runner for both program forms."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, wait_until

BINARY = ROOT / "dist" / "imgshare"
BUILD_INPUTS = (ROOT / "app", ROOT / "packaging", ROOT / "pyproject.toml")
SKIP_DIRS = {".build-venv", "__pycache__"}

# The build takes a couple of minutes on a fresh machine (venv, pip, PyInstaller), ~20 s after that.
pytestmark = pytest.mark.timeout(1200)


def newest_input() -> float:
    newest = 0.0
    for top in BUILD_INPUTS:
        if top.is_file():
            newest = max(newest, top.stat().st_mtime)
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for name in files:
                if not name.endswith(".pyc"):
                    newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


@pytest.fixture(scope="session")
def binary() -> Path:
    """dist/imgshare, rebuilt with packaging/build unless it is newer than app/, packaging/ and
    pyproject.toml."""
    if not (BINARY.exists() and BINARY.stat().st_mtime > newest_input()):
        started = time.monotonic()
        done = subprocess.run([str(ROOT / "packaging" / "build")], cwd=ROOT, capture_output=True,
                              text=True, timeout=1200)
        if done.returncode != 0:
            pytest.fail(f"packaging/build failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                        f"{done.stderr[-3000:]}")
        print(f"\nbuilt dist/imgshare in {time.monotonic() - started:.0f} s: {done.stdout.strip()}")
    return BINARY


def program(form: str, binary_path: Path | None = None) -> list[str]:
    """The command of the program as the binary ('binary') or from the source tree ('source')."""
    if form == "binary":
        return [str(binary_path or BINARY)]
    return [sys.executable, "-m", "imgshare"]


def run(command: list[str], *args: str, timeout: float = 120, env: dict | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=environment, **kwargs)


@pytest.fixture(scope="session")
def xvfb():
    """A private Xvfb display (':N') for checks that open a window; never the user's session.

    A random display number rather than -displayfd: that picks :0, where a stale abstract socket of
    another server can answer instead of ours.
    """
    if shutil.which("Xvfb") is None:
        pytest.fail("these tests need Xvfb: run scripts/bootstrap test,gui (or apt-get install xvfb)")
    for _ in range(5):
        display = f":{random.randint(100, 30000)}"
        if os.path.exists(f"/tmp/.X{display[1:]}-lock"):
            continue
        server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Ours, and answering: its 1280x800 screen tells it apart from any other server. If it exits
        # instead (the number was taken after all), try another.
        wait_until(lambda s=server, d=display: s.poll() is not None or _screen_size(d) == "1280 800", 15,
                   what=f"Xvfb {display} to answer or exit")
        if server.poll() is None:
            break
        server.kill()
        server.wait()
    else:
        pytest.fail("could not start Xvfb on a free display")
    yield display
    server.terminate()
    server.wait(10)


def _screen_size(display: str) -> str:
    done = subprocess.run(["xdotool", "getdisplaygeometry"], capture_output=True, text=True,
                          env=dict(os.environ, DISPLAY=display), timeout=10)
    return done.stdout.strip()
