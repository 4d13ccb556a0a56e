"""Qt's lock: a Qt holder makes imgshare time out instead of hanging, and an imgshare process killed
while holding it does not block the Qt side (SEM_UNDO)."""

from __future__ import annotations

import os
import signal

import pytest
import sysv_ipc

from imgshare.ipc import LockTimeoutError
from imgshare.ipc.qt import QtReceiver, QtSender
from imgshare.ipc.qt.keys import ftok
from tests.conftest import run_cli
from tests.qt.images import assert_qt_dump_matches, make


def _semaphore_value(qt_env) -> int:
    sem = sysv_ipc.Semaphore(ftok(qt_env.paths.sem_file), 0)
    return sem.value


def test_lock_held_by_qt_makes_imgshare_time_out(qt_env):
    make("RGB").save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    holder = qt_env.start("hold", qt_env.key, ready="locked")
    for attempt in (lambda: QtReceiver(qt_env.key).receive(timeout=0.3),
                    lambda: QtReceiver(qt_env.key).info(timeout=0.3),
                    lambda: QtSender(qt_env.key, lock_timeout=0.3).share(make("L"))):
        with pytest.raises(LockTimeoutError):  # in its 0.3 s, not a hang (pytest-timeout bounds one)
            attempt()
    assert _semaphore_value(qt_env) == 0  # still Qt's: never reset under its holder
    qt_env.finish(holder)
    image, _ = QtReceiver(qt_env.key).receive(timeout=5)  # free again: reads normally
    assert image.tobytes() == make("RGB").tobytes()
    qt_env.finish(sender)
    qt_env.assert_clean()


def test_cli_exits_5_when_qt_holds_the_lock(qt_env):
    make("RGB").save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    holder = qt_env.start("hold", qt_env.key, ready="locked")
    result = run_cli("receive", "--qt", "--key", qt_env.key, "--timeout", "0.5", timeout=30)
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("imgshare: error:") and "Traceback" not in result.stderr
    qt_env.finish(holder)
    qt_env.finish(sender)
    qt_env.assert_clean()


_HOLD_QT_LOCK = """
import sys, time
from imgshare.ipc.qt.keys import QtKey
from imgshare.ipc.qt.semaphore import QtSemaphore
key = sys.argv[1]
lock = QtSemaphore(QtKey.of(key).sem_file, key).ensure(create=False)
lock.acquire(5.0)
print("held", flush=True)
time.sleep(60)
"""


def test_imgshare_killed_holding_qt_lock_does_not_block_qt(qt_env):
    sent = make("RGBA")
    with QtSender(qt_env.key) as sender:
        sender.share(sent)
        holder = qt_env.python(_HOLD_QT_LOCK, qt_env.key)
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        assert _semaphore_value(qt_env) == 0
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert _semaphore_value(qt_env) == 1  # the kernel undid the kill's hold (SEM_UNDO)
        result = qt_env.run("receive", qt_env.key, "out", timeout=20)  # Qt's lock() would hang forever
        assert result.returncode == 0, result.stderr
        assert_qt_dump_matches(qt_env.tmp / "out", sent)
    qt_env.assert_clean()


def test_imgshare_killed_while_sharing_leaves_a_share_qt_can_read_and_clean(qt_env):
    """A SIGKILLed imgshare sender: Qt reads its share, and Qt's last detach removes the segment."""
    sent = make("L")
    code = ("import sys, time\nfrom PIL import Image\nfrom imgshare.ipc.qt import QtSender\n"
            "s = QtSender(sys.argv[1]); s.share(Image.open(sys.argv[2]))\n"
            "print('shared', flush=True); time.sleep(60)\n")
    sent.save(qt_env.tmp / "in.png")
    proc = qt_env.python(code, qt_env.key, str(qt_env.tmp / "in.png"))
    assert proc.stdout.readline().strip() == "shared", proc.stderr.read()
    qt_env.note()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    result = qt_env.run("receive", qt_env.key, "out")
    assert result.returncode == 0, result.stderr
    assert_qt_dump_matches(qt_env.tmp / "out", sent)
    # The killed sender made the semaphore and could not remove it: that is Qt's own behaviour too
    # (a crashed creator leaks its semaphore and file). The fixture removes it by id.
    files, objects = qt_env.leftovers()
    assert not [f for f in files if f.startswith("qipc_sharedmemory_")]
    assert [kind for kind, _ in objects] == ["sem"]
    os.unlink(qt_env.paths.sem_file)
