"""The follow mark (app/window_follows.py): how imgshare.show() knows a window follows a key. Holders
are real processes; the kernel drops a killed holder's lock; a holder in another IPC namespace does not
count; the last to let go leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from imgshare.window_follows import FollowMark, window_follows
from tests.conftest import ROOT

HOLD = ("import sys\nfrom imgshare.window_follows import FollowMark\nmark = FollowMark.take(sys.argv[1])\n"
        "print('held' if mark else 'none', flush=True)\nsys.stdin.read()\nmark.release()\nprint('released')\n")


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    """A private XDG_RUNTIME_DIR for the follow marks of this test's processes (and this one)."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def _holder(key: str, *prefix: str) -> subprocess.Popen:
    process = subprocess.Popen([*prefix, sys.executable, "-c", HOLD, key], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_holding_process_marks_the_key_until_it_lets_go(runtime, new_key):
    key, other = new_key(), new_key()
    assert not window_follows(key)
    first, second = _holder(key), _holder(key)  # two windows following one key
    assert window_follows(key) and not window_follows(other)
    first.communicate("", timeout=20)
    assert window_follows(key)  # the second still follows
    second.communicate("", timeout=20)
    assert not window_follows(key)
    assert list(runtime.iterdir()) == []  # the last one out removed the mark and its folder


def test_a_killed_holder_does_not_count_and_its_file_is_cleared(runtime, key):
    holder = _holder(key)
    holder.send_signal(signal.SIGKILL)
    holder.wait(20)
    assert (runtime / "imgshare").exists()  # nobody could remove it
    assert not window_follows(key)
    assert list(runtime.iterdir()) == []


def test_a_holder_in_another_ipc_namespace_does_not_count(runtime, key):
    if os.getuid() != 0:
        pytest.fail("this test needs root for unshare --ipc (scripts/test runs as root in CI)")
    holder = _holder(key, "unshare", "--ipc")
    try:
        assert not window_follows(key)  # its key names another share there
    finally:
        holder.communicate("", timeout=20)


def test_a_folder_open_to_others_is_not_trusted(runtime, key):
    (runtime / "imgshare").mkdir(mode=0o755)
    os.chmod(runtime / "imgshare", 0o755)
    assert FollowMark.take(key) is None and not window_follows(key)


def test_marks_in_this_process_release_cleanly(runtime, key):
    mark = FollowMark.take(key)
    assert mark is not None and window_follows(key)
    mark.release()
    mark.release()  # twice is harmless
    assert not window_follows(key) and list(runtime.iterdir()) == []
