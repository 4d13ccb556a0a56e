"""Fixtures for the GStreamer plugin's tests: the plugin built once per session with
clients/gstreamer/Makefile, and gst-launch-1.0 / gst-inspect-1.0 run as real processes that load it
through GST_PLUGIN_PATH, with a registry of the session's own (never the user's ~/.cache one)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.c.conftest import Program, start_c  # noqa: F401 (start_c: the fixture that starts and stops programs)
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

    def start(self, starter: Callable[..., Program], pipeline: str, **env: str) -> Program:
        """Start gst-launch-1.0 on pipeline with starter (the start_c fixture, which stops it at the end of
        the test if it still runs); its output lines are read with Program.expect()."""
        return starter("gst-launch-1.0", *pipeline.split(), stdin=False, env=self.env(**env))

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


def error_line(result: subprocess.CompletedProcess, element: str) -> str:
    """gst-launch-1.0's line for the first error an element posted ('' if none)."""
    for line in (result.stderr + result.stdout).splitlines():
        if line.startswith("ERROR: from element ") and f":{element}" in line.split(": ", 2)[1]:
            return line.split(": ", 2)[2]
    return ""
