"""Shared fixtures: fresh keys whose IPC objects are removed by id after each test, a leak check at the
end of the session, and helpers to run the CLI as a real separate process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.ipc_cleanup import SESSION, KeyFactory, leak_report, own_objects, remove
from tests.namespaces import private_ipc_namespace
from tests.neighbour import Neighbour

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
_ALL_KEYS = KeyFactory()


@pytest.fixture
def new_key():
    """Call new_key() for a fresh random key; the test's own objects at it are removed afterwards."""
    factory = KeyFactory()
    yield factory
    _ALL_KEYS.keys.extend(factory.keys)
    factory.cleanup()


@pytest.fixture
def key(new_key):
    """One fresh random key, cleaned up after the test."""
    return new_key()


@pytest.fixture
def private_ipc():
    """The test runs in an IPC namespace of its own (tests/namespaces.py): for tests of what acts on all of
    a user's shares (clean, the window's Clean up), which must never reach another program's stale share."""
    with private_ipc_namespace():
        yield


def _temp_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(("imgshare", "_MEI")))


# Two kinds of run: the whole suite in one process (scripts/test, CI), or the quick tier spread over
# pytest-xdist's workers (scripts/test --quick). In the second, the controller runs the neighbour and
# the workers run the tests: each worker records its own processes and checks for their leaks, and
# hands its findings to the controller (xdist's workeroutput), which fails the run and reports.
def _worker(config) -> bool:
    return hasattr(config, "workerinput")


def _controller(config) -> bool:
    return not _worker(config) and getattr(config.option, "dist", "no") != "no"


def pytest_sessionstart(session):
    """Start the neighbour (another program's shares), then record every process the suite starts,
    and give the suite a temporary folder of its own: what its processes leave there is theirs (the
    machine's /tmp also holds other programs' `_MEI*` and `imgshare*` entries)."""
    config = session.config
    config._imgshare_worker_findings = []
    if not _worker(config):
        config._imgshare_neighbour = Neighbour.start()
    if _controller(config):
        return  # the workers run the tests
    SESSION.start()
    folder = Path(tempfile.mkdtemp(prefix="imgshare-test-session-"))
    folder.chmod(0o755)  # as /tmp lets them, other users' processes of the tests may look inside
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    config._imgshare_tmp = folder


def pytest_collection_modifyitems(config, items):
    """The slow tests, which the quick tier leaves out (scripts/test --quick; CI runs them all): the
    crash storms, soak and concurrency runs (tests/reliability), the built binary (tests/packaging), a
    fresh venv (test_install.py), and the tests marked slow one by one."""
    tests = ROOT / "tests"
    for item in items:
        if str(item.path.relative_to(tests)).startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


SLOW_PATHS = ("reliability/", "packaging/", "test_install.py")


def pytest_testnodedown(node, error):
    """(The controller, with xdist) a worker is done: keep what its leak check found."""
    findings = getattr(node, "workeroutput", {}).get("imgshare_findings")
    if findings:
        node.config._imgshare_worker_findings.append(findings)


def pytest_sessionfinish(session, exitstatus):
    """The leak check: nothing the suite's processes made may remain (IPC objects, temporary folders);
    and the neighbour must have run untouched the whole time."""
    config = session.config
    problems: list[str] = []
    if not _controller(config):
        leaks, kept = _leak_check(session)
        if _worker(config):
            config.workeroutput["imgshare_findings"] = {"leaks": leaks, "kept": str(kept) if kept else ""}
        else:
            config._imgshare_findings = [{"leaks": leaks, "kept": str(kept) if kept else ""}]
    else:
        config._imgshare_findings = config._imgshare_worker_findings
    if not _worker(config):
        neighbour = config._imgshare_neighbour
        problems = neighbour.check()
        config._imgshare_neighbour_summary = neighbour.summary()
        neighbour.stop()
        strict = os.environ.get("IMGSHARE_LEAK_CHECK", "fail") != "warn"
        if problems or (strict and any(f["leaks"] for f in config._imgshare_findings)):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        config._imgshare_neighbour_problems = problems
        if session.exitstatus == pytest.ExitCode.OK:
            for findings in config._imgshare_findings:
                if findings["kept"]:
                    shutil.rmtree(findings["kept"], ignore_errors=True)  # else kept for a look (the summary names it)
                    findings["kept"] = ""


def _leak_check(session) -> tuple[list | None, Path | None]:
    """(What this process's tests left, or None; the session's temporary folder). Leaves the machine
    clean either way."""
    removed_by_fixtures = _ALL_KEYS.cleanup()  # keys whose test failed before its own cleanup
    leaked = leak_report(sorted(own_objects()))
    session_tmp = session.config._imgshare_tmp
    new_tmp = _temp_entries(session_tmp)
    remove(own_objects())  # the run fails; leave the machine clean anyway
    SESSION.stop()
    return ([leaked, new_tmp, removed_by_fixtures] if leaked or new_tmp else None), session_tmp


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _worker(config):
        return
    summary = getattr(config, "_imgshare_neighbour_summary", None)
    if summary:
        terminalreporter.write_line(summary)
    for problem in getattr(config, "_imgshare_neighbour_problems", []):
        terminalreporter.write_line(f"NEIGHBOUR CHECK FAILED: {problem}", red=True)
    for findings in getattr(config, "_imgshare_findings", []):
        if findings["kept"]:
            kept = Path(findings["kept"])
            terminalreporter.write_line(f"the session's temporary folder is kept for a look ({_size_text(kept)}; "
                                        f"removed when a run passes): {kept}")
        if findings["leaks"]:
            leaked, new_tmp, removed = findings["leaks"]
            terminalreporter.write_line(
                f"LEAK CHECK FAILED: IPC objects the suite's processes made and left: "
                f"{leaked}; temporary entries: {new_tmp} (objects at test keys removed at the end: {removed})",
                red=True)


def _size_text(folder: Path) -> str:
    """A folder's size on disk, for the line that says it is kept."""
    total = sum(entry.lstat().st_size for entry in folder.rglob("*") if not entry.is_symlink())
    return f"{total / 1e6:.0f} MB" if total >= 1e6 else f"{total / 1e3:.0f} kB"


def wait_until(condition: Callable[[], T], timeout: float = 15.0, what: str = "the condition",
               step: float = 0.01) -> T:
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


_STARTED: list[subprocess.Popen] = []  # start_cli's processes, stopped after their test if still running


def start_cli(*args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([*imgshare_cmd(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, env=env, **kwargs)
    _STARTED.append(process)
    return process


@pytest.fixture(autouse=True)
def _stop_started_processes():
    """A test that fails before stopping its sender must not leave it running (serving its segment)
    after the run: SIGTERM, as a user would, then SIGKILL."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
