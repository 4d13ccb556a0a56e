"""Library scripts and signals (issue 17.14): with imgshare.exit_on_signals(), a script's `with Sender`
removes its share when `kill`, `docker stop` or `systemctl stop` sends SIGTERM (or on Ctrl+C or SIGHUP);
with imgshare.StopSignals() the script serves until one arrives and ends by itself. Real scripts in real
processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from tests.ipc_cleanup import objects_of

CAMERA = """
    import sys
    import imgshare
    from PIL import Image

    if sys.argv[2] == "on":
        imgshare.exit_on_signals()
    with imgshare.Sender(sys.argv[1]) as sender:
        frame = 0
        while True:  # a camera loop: share frame after frame until stopped
            sender.share(Image.new("L", (61, 41), frame % 256))
            if frame == 0:
                print("sharing", flush=True)
            frame += 1
"""
SERVER = """
    import sys
    import imgshare
    from PIL import Image

    with imgshare.StopSignals() as stop, imgshare.Sender(sys.argv[1]) as sender:
        sender.share(Image.new("RGB", (33, 17), (1, 2, 3)))
        print("shared", flush=True)
        signum = stop.wait()
    print(f"stopped by {signum}", flush=True)
"""
LOOP = """
    import sys
    import imgshare
    from PIL import Image

    with imgshare.StopSignals() as stop, imgshare.Sender(sys.argv[1]) as sender:
        frame = 0
        while not stop.requested:
            sender.share(Image.new("L", (61, 41), frame % 256))
            if frame == 0:
                print("sharing", flush=True)
            frame += 1
    print(f"stopped by {stop.signum} after {frame} frames", flush=True)
"""


@pytest.fixture
def script(tmp_path):
    """script(source, *args) runs source as a real Python script; one still running after the test (it
    failed before its signal) is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(source: str, *args: str) -> subprocess.Popen[str]:
        path = tmp_path / f"script{len(started)}.py"
        path.write_text(textwrap.dedent(source))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started.append(subprocess.Popen([sys.executable, str(path), *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def started(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdout is not None
    got = process.stdout.readline()
    assert got.strip() == line, (got, process.stderr.read() if process.stderr else "")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_exit_on_signals_removes_a_busy_senders_share(key, script, sig):
    camera = script(CAMERA, key, "on")
    started(camera, "sharing")
    assert "shm" in {kind for kind, _ in objects_of(key)}
    camera.send_signal(sig)
    _out, err = camera.communicate(timeout=30)
    assert camera.returncode == 128 + sig and err == ""  # no traceback, the shell's code for the signal
    assert objects_of(key) == []


def test_without_it_sigterm_leaves_a_stale_share(key, script):
    """Why the helper exists: Python's default for SIGTERM ends the process where it stands."""
    camera = script(CAMERA, key, "off")
    started(camera, "sharing")
    camera.send_signal(signal.SIGTERM)
    camera.communicate(timeout=30)
    assert camera.returncode == -signal.SIGTERM
    assert objects_of(key) != []  # left behind; the key fixture removes them by id


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signals_serve_until_one_arrives(key, script, sig):
    server = script(SERVER, key)
    started(server, "shared")
    assert "shm" in {kind for kind, _ in objects_of(key)}
    server.send_signal(sig)
    out, err = server.communicate(timeout=30)
    assert server.returncode == 0 and err == "" and out.strip() == f"stopped by {int(sig)}"
    assert objects_of(key) == []


def test_stop_signals_end_a_loop_that_checks_them(key, script):
    loop = script(LOOP, key)
    started(loop, "sharing")
    loop.send_signal(signal.SIGTERM)
    out, err = loop.communicate(timeout=30)
    assert loop.returncode == 0 and err == "" and out.startswith("stopped by 15 after ")
    assert objects_of(key) == []
