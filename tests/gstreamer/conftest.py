"""Fixtures for the GStreamer plugin's tests: the plugin built once per session with
clients/gstreamer/Makefile, and gst-launch-1.0 / gst-inspect-1.0 run as real processes that load it
through GST_PLUGIN_PATH, with a registry of the session's own (never the user's ~/.cache one)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.c.conftest import Program
from tests.conftest import ROOT

PLUGIN_SOURCE = ROOT / "clients" / "gstreamer"


@dataclass(frozen=True)
class Gst:
    """How to run GStreamer's tools with the plugin: its folder and a private registry file."""

    plugin_dir: Path
    registry: Path
    extra_env: tuple[tuple[str, str], ...] = ()

    def env(self, **more: str) -> dict[str, str]:
        env = dict(os.environ, GST_PLUGIN_PATH=str(self.plugin_dir), GST_REGISTRY=str(self.registry),
                   PYTHONPATH=str(ROOT))
        env.pop("GST_DEBUG", None)
        env.update(self.extra_env)
        env.update(more)
        return env

    def launch(self, pipeline: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        """Run gst-launch-1.0 on pipeline (its words split at spaces) to its end."""
        return subprocess.run(["gst-launch-1.0", *pipeline.split()], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT, env=self.env(**env))

    def start(self, pipeline: str, **env: str) -> Program:
        """Start gst-launch-1.0 on pipeline; its output lines are read with Program.expect()."""
        return Program(["gst-launch-1.0", *pipeline.split()], stdin=False, env=self.env(**env))

    def inspect(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["gst-inspect-1.0", *args], capture_output=True, text=True, timeout=60, cwd=ROOT,
                              env=self.env())


def build_plugin() -> None:
    result = subprocess.run(["make", "-C", str(PLUGIN_SOURCE), "-j2"], capture_output=True, text=True, timeout=600)
    if result.returncode:
        pytest.fail("building clients/gstreamer failed (scripts/bootstrap test installs gcc, make, libxxhash-dev "
                    "and GStreamer's development packages):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


@pytest.fixture(scope="session")
def gst(tmp_path_factory) -> Gst:
    """The plugin, built (plain and sanitized), with a registry of this session's own."""
    build_plugin()
    return Gst(PLUGIN_SOURCE / "build" / "plugin", tmp_path_factory.mktemp("gst") / "registry.bin")


@pytest.fixture
def gst_programs() -> Iterator[list[Program]]:
    """Programs a test starts (gst.start(...)): appended here, killed at its end if still running."""
    started: list[Program] = []
    yield started
    for program in started:
        program.kill()
        for stream in (program.process.stdin, program.process.stdout, program.process.stderr):
            if stream is not None:
                stream.close()


def error_line(result: subprocess.CompletedProcess, element: str) -> str:
    """gst-launch-1.0's line for the first error an element posted ('' if none)."""
    for line in (result.stderr + result.stdout).splitlines():
        if line.startswith("ERROR: from element ") and f":{element}" in line.split(": ", 2)[1]:
            return line.split(": ", 2)[2]
    return ""


def python_helper() -> list[str]:
    return [sys.executable, str(Path(__file__).parent / "share_frames.py")]
