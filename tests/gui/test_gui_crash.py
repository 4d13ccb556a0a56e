"""Reliability: a GUI sender killed with SIGKILL leaves the last complete image (or a clear error), its
share is reported stale, and a new sender (GUI or CLI) reclaims the key."""

from __future__ import annotations

import json
import random
import signal
import time

import pytest

from imgshare.ipc import ImgShareError, Received, Receiver
from tests.conftest import run_cli, wait_until
from tests.gui.support import start_gui, stop, stripes
from tests.images import digest

pytestmark = pytest.mark.slow


def received_by(key: str, sender_pid: int | None = None) -> Received | None:
    """What is shared under key now (from sender_pid, when given), or None."""
    try:
        got = Receiver(key).receive(timeout=2)
    except ImgShareError:
        return None
    return got if sender_pid is None or got.info.sender_pid == sender_pid else None


def wait_for_share(key: str, timeout: float = 30.0) -> Received:
    got = wait_until(lambda: received_by(key), timeout, f"a share under {key!r}")
    assert got is not None  # wait_until returns only what is true
    return got


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
        _, info = wait_until(lambda: received_by(key, successor.pid), 30, "the new GUI sender to reclaim the key")
        assert info.sequence == 2
    finally:
        stop(successor)
