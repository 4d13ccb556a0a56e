"""Issue 17.12: tests/qa/inspect understands protocol 3's objects (a control segment and a semaphore set
at the key, private data segments the control block names) and calls nothing of a healthy share a
LEFTOVER; checklist step 2.14 works with only the binary and Python's standard library (no sysv_ipc)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT, wait_until
from tests.images import make_image
from tests.ipc_cleanup import objects_of
from tests.packaging.conftest import run

SYSTEM_PYTHON = "/usr/bin/python3"  # no sysv_ipc there, as on a machine with only the binary


def inspect() -> str:
    done = subprocess.run([SYSTEM_PYTHON, str(ROOT / "tests" / "qa" / "inspect"), "--dist"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_inspect_attributes_every_object_of_a_healthy_share(binary, key, tmp_path):
    make_image("RGB", (90, 60)).save(tmp_path / "a.png")
    sender = subprocess.Popen([str(binary), "send", str(tmp_path / "a.png"), "--key", key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "shared" in sender.stdout.readline()
        ours = objects_of(key)
        report = inspect()
        # The table's rows (KIND ID ...), not the raw ipcs listings printed above it.
        lines = [line for line in report.splitlines() if tuple(line.split()[:2]) in
                 {(kind, str(ident)) for kind, ident in ours}]
        assert len(lines) == len(ours), report
        assert not [line for line in lines if "LEFTOVER" in line or "no share names" in line], report
        assert any("control segment of share" in line for line in lines)
        assert any("data segment of share" in line for line in lines)
        assert any("semaphore set of share" in line for line in lines)
    finally:
        sender.terminate()
        sender.wait(20)


@pytest.mark.slow
def test_checklist_step_2_14_with_only_the_binary(binary, key):
    sysv = run([str(binary)], "key", key).stdout.split()[0]
    made = subprocess.run([SYSTEM_PYTHON, "-c", "import ctypes, sys; print(ctypes.CDLL(None).shmget("
                           "int(sys.argv[1]), 3333, 0o1600))", sysv], capture_output=True, text=True)
    shmid = int(made.stdout)
    assert shmid >= 0, made.stderr
    try:
        result = run([str(binary)], "receive", "--key", key)
        assert result.returncode == 4 and "another program" in result.stderr, result.stderr
        assert any("not an imgshare share" in line and f" {shmid} " in line for line in inspect().splitlines())
    finally:
        subprocess.run(["ipcrm", "-m", str(shmid)], check=True)
    wait_until(lambda: objects_of(key) == [], what="the foreign segment to go")
