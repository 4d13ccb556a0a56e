"""Shared fixtures: fresh keys whose IPC objects are removed by id after each test, a leak check at the
end of the session, and helpers to run the CLI as a real separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ipc_cleanup import KeyFactory

ROOT = Path(__file__).resolve().parent.parent
_ALL_KEYS = KeyFactory()


@pytest.fixture
def new_key():
    """Call new_key() for a fresh random key; its segment and semaphore are removed after the test."""
    factory = KeyFactory()
    yield factory
    _ALL_KEYS.keys.extend(factory.keys)
    factory.cleanup()


@pytest.fixture
def key(new_key):
    """One fresh random key, cleaned up after the test."""
    return new_key()


def pytest_sessionfinish(session, exitstatus):
    leftovers = _ALL_KEYS.cleanup()
    if leftovers:
        session.config._imgshare_leftovers = leftovers


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leftovers = getattr(config, "_imgshare_leftovers", None)
    if leftovers:
        terminalreporter.write_line(f"IPC objects left behind by tests (removed now): {leftovers}", red=True)


def imgshare_cmd() -> list[str]:
    """How tests start the program as a separate process (the source tree's entry point)."""
    return [sys.executable, "-m", "app"]


def run_cli(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*imgshare_cmd(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env, **kwargs)


def start_cli(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([*imgshare_cmd(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env, **kwargs)
