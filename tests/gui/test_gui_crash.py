"""Reliability: a GUI sender killed with SIGKILL leaves the last complete image (or a clear error), its
share is reported stale, and a new sender (GUI or CLI) reclaims the key."""

from __future__ import annotations

import json
import random
import signal
import time

import pytest

from imgshare.ipc import ImgShareError, Receiver
from tests.conftest import run_cli
from tests.gui.support import start_gui, stop, stripes
from tests.images import digest

pytestmark = pytest.mark.slow


def wait_for_share(key: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Receiver(key).receive(timeout=2)
        except ImgShareError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("round_", range(3))
def test_gui_sender_killed_then_reclaimed(round_, key, tmp_path):
    path = tmp_path / "stripes.png"
    picture = stripes((640, 400))
    picture.save(path)
    gui = start_gui("--send", str(path), "--key", key)
    try:
        image, info = wait_for_share(key)
        assert digest(image) == digest(picture.convert(image.mode))
        time.sleep(random.uniform(0, 0.5))
        gui.send_signal(signal.SIGKILL)
        gui.wait(10)
        image, info = Receiver(key).receive(timeout=2)
        assert not info.sender_alive and info.state == "sender gone"
        assert digest(image) == digest(picture.convert(image.mode))  # the complete last image
        listing = json.loads(run_cli("list", "--json").stdout)
        assert [s["state"] for s in listing if s["info"] and s["info"]["key"] == key] == ["stale"]
    finally:
        stop(gui)
    successor = start_gui("--send", str(path), "--key", key)
    try:
        deadline = time.monotonic() + 30
        while True:
            _, info = Receiver(key).receive(timeout=2)
            if info.sender_pid == successor.pid:
                break
            assert time.monotonic() < deadline, "the new GUI sender did not reclaim the key"
            time.sleep(0.05)
        assert info.sequence == 2
    finally:
        stop(successor)
