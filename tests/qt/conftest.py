"""Fixtures for the tests against real Qt: a private TMPDIR, a random key, Qt peers in their own
processes, and removal by id of the IPC objects the test's processes made at the ftok keys its key
files had (an ftok key keeps only part of an inode: another program's object may sit at one)."""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from imgshare.ipc.qt.keys import QtKey, ftok
from tests.ipc_cleanup import own_objects, remove

PEER = Path(__file__).with_name("qt_peer.py")
ROOT = Path(__file__).resolve().parents[2]

if importlib.util.find_spec("PySide6") is None:  # a test-only dependency: fail loudly, never skip
    raise pytest.UsageError("tests/qt need PySide6: pip install -e '.[test]' (PySide6-Essentials)")


class QtEnv:
    """One test's Qt world: its TMPDIR, its key, the System V keys seen, and Qt peer processes."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.key = f"qt{secrets.token_hex(6)}"
        self.paths = QtKey.of(self.key, str(tmp))
        self.sysv_keys: set[int] = set()
        self.env = dict(os.environ, TMPDIR=str(tmp), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
        self.procs: list[subprocess.Popen] = []
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        """Record the ftok key of every Qt key file while it exists (objects outlive files briefly)."""
        while not self._stop.wait(0.002):
            self.note()

    def note(self) -> None:
        for folder, _dirs, names in os.walk(self.tmp):
            for name in names:
                if name.startswith("qipc_"):
                    try:
                        sysv = ftok(os.path.join(folder, name))
                    except OSError:
                        continue
                    if sysv is not None:
                        self.sysv_keys.add(sysv)

    # -- Qt peers ----------------------------------------------------------------------------------
    def start(self, *args: str, ready: str | None) -> subprocess.Popen:
        """Start a long-running peer (send, hold) and wait for its ready line (None: do not wait)."""
        proc = subprocess.Popen([sys.executable, str(PEER), *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env,
                                cwd=self.tmp)
        self.procs.append(proc)
        if ready is None:
            return proc
        line = proc.stdout.readline()
        if not line.startswith(ready):
            proc.kill()
            raise AssertionError(f"Qt peer {args} did not start: {line!r} {proc.stderr.read()!r}")
        self.note()
        return proc

    def finish(self, proc: subprocess.Popen) -> None:
        """Close a long-running peer's stdin (it detaches, as the demo does on exit) and wait for it."""
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0, proc.stderr.read()

    def run(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, str(PEER), *args], capture_output=True, text=True,
                                env=self.env, cwd=self.tmp, timeout=timeout)
        self.note()
        return result

    def python(self, code: str, *args: str) -> subprocess.Popen:
        """Run a Python snippet of imgshare code in its own process (stdout piped)."""
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env, cwd=ROOT)
        self.procs.append(proc)
        return proc

    # -- leftovers ---------------------------------------------------------------------------------
    def leftovers(self) -> tuple[list[str], list[tuple[str, int]]]:
        self.note()
        files = sorted(n for n in os.listdir(self.tmp) if n.startswith("qipc_"))
        objects = [(o.kind, o.id) for o in own_objects() if o.key in self.sysv_keys]
        return files, objects

    def assert_clean(self) -> None:
        """Nothing left behind: no Qt key file in TMPDIR, no segment or semaphore at their ftok keys."""
        files, objects = self.leftovers()
        assert not files and not objects, f"left behind: files {files}, IPC objects {objects}"

    def close(self) -> None:
        self._stop.set()
        self._watcher.join()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self.note()
        remove([o for o in own_objects() if o.key in self.sysv_keys])


@pytest.fixture
def qt_env(tmp_path, monkeypatch):
    folder = tmp_path / "qtmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))  # in-process QtSender/QtReceiver use it too
    env = QtEnv(folder)
    try:
        yield env
    finally:
        env.close()
