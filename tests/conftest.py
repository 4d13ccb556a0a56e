"""Shared fixtures: fresh keys whose IPC objects are removed by id after each test, a leak check at the
end of the session, and helpers to run the CLI as a real separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def _ipc_objects() -> set[tuple[str, int]]:
    found = set()
    for kind, path, column in (("shm", "/proc/sysvipc/shm", "shmid"), ("sem", "/proc/sysvipc/sem", "semid")):
        with open(path) as f:
            names = f.readline().split()
            found |= {(kind, int(dict(zip(names, line.split(), strict=False))[column])) for line in f}
    return found


def _temp_entries() -> set[str]:
    tmp = Path(tempfile.gettempdir())
    return {p.name for p in tmp.iterdir() if p.name.startswith(("imgshare", "_MEI"))}


def pytest_sessionstart(session):
    session.config._imgshare_before = (_ipc_objects(), _temp_entries())


def pytest_sessionfinish(session, exitstatus):
    """The leak check: nothing the suite made may remain (IPC objects, temporary folders)."""
    removed_by_fixtures = _ALL_KEYS.cleanup()  # keys whose test failed before its own cleanup
    ipc_before, tmp_before = session.config._imgshare_before
    new_ipc = sorted(_ipc_objects() - ipc_before)
    new_tmp = sorted(_temp_entries() - tmp_before)
    if new_ipc or new_tmp:
        session.config._imgshare_leaks = (new_ipc, new_tmp, removed_by_fixtures)
        # Another run of the suite on the same machine and user makes objects too; a developer doing
        # that may set IMGSHARE_LEAK_CHECK=warn. CI runs alone and keeps the check strict.
        if os.environ.get("IMGSHARE_LEAK_CHECK", "fail") != "warn":
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leaks = getattr(config, "_imgshare_leaks", None)
    if leaks:
        new_ipc, new_tmp, removed = leaks
        terminalreporter.write_line(
            f"LEAK CHECK FAILED: IPC objects made during the run and still present: {new_ipc}; "
            f"temporary entries: {new_tmp} (objects at test keys removed at the end: {removed})", red=True)


def wait_until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the condition",
               step: float = 0.01) -> object:
    """Poll condition until it returns something true, and return that; fail the test with what after
    timeout seconds. The one way tests wait for another process: never a bare sleep."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def imgshare_cmd() -> list[str]:
    """How tests start the program as a separate process (the source tree's entry point)."""
    return [sys.executable, "-m", "imgshare"]


def run_cli(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*imgshare_cmd(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env, **kwargs)


def start_cli(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([*imgshare_cmd(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env, **kwargs)
