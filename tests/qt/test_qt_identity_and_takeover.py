"""Qt shares' own facts: a newer image from the same Qt sender is seen as newer; borrow and verify say
what they do; and a sender that takes a killed Qt sender's key over leaves nothing behind."""

from __future__ import annotations

import os
import signal

import pytest
from PIL import Image

from imgshare.ipc.qt import QtReceiver, QtSender, QtShareInfo
from imgshare.views.receiver.model import sender_state
from tests.qt.exchange import qt_receiver_gets_cli_share
from tests.qt.images import assert_same, make


def test_second_image_of_a_pyside6_sender_is_seen_as_newer(qt_env):
    first, second = make("RGB"), make("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # same size, other pixels
    first.save(qt_env.tmp / "first.png")
    second.save(qt_env.tmp / "second.png")
    peer = qt_env.start("sendmany", qt_env.key, ready=None)
    try:
        assert peer.stdin is not None and peer.stdout is not None
        peer.stdin.write("first.png\n")
        peer.stdin.flush()
        assert peer.stdout.readline().strip() == "shared 1"
        qt_env.note()
        image, shown = QtReceiver(qt_env.key).receive()
        assert_same(image, first)
        assert isinstance(shown, QtShareInfo) and shown.sender_pid == peer.pid
        assert (shown.encoding, shown.sequence, shown.checksum) == ("png", 0, "")
        assert sender_state(qt_env.key, shown, 5.0, qt=True) == "alive"
        peer.stdin.write("second.png\n")
        peer.stdin.flush()
        assert peer.stdout.readline().strip() == "shared 2"
        qt_env.note()
        now = QtReceiver(qt_env.key).info()
        assert now.sender_pid == shown.sender_pid and now.identity != shown.identity
        assert "a newer image" in sender_state(qt_env.key, shown, 5.0, qt=True)
        image, latest = QtReceiver(qt_env.key).receive()
        assert_same(image, second)
        assert latest.identity == now.identity
    finally:
        qt_env.finish(peer)
    qt_env.assert_clean()


def test_imgshare_qt_sender_rewriting_its_segment_is_seen_as_newer(qt_env):
    with QtSender(qt_env.key) as sender:
        sender.share(make("L"))
        before = QtReceiver(qt_env.key).info()
        flipped = make("L").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        sender.share(flipped)  # the same size: written into the same segment
        after = QtReceiver(qt_env.key).info()
        assert after.segment_id == before.segment_id and after.identity != before.identity
        assert "a newer image" in sender_state(qt_env.key, before, 5.0, qt=True)
    qt_env.assert_clean()


def test_borrow_is_refused_and_verify_false_still_checks_the_png(qt_env):
    sent = make("RGBA")
    with QtSender(qt_env.key) as sender:
        sender.share(sent)
        with pytest.raises(ValueError, match="borrow"):
            QtReceiver(qt_env.key).receive(borrow=True)
        image, _ = QtReceiver(qt_env.key).receive(verify=False)
        assert_same(image, sent)
    qt_env.assert_clean()


def test_taking_over_a_killed_qt_senders_key_leaves_nothing_behind(qt_env):
    """The killed Qt sender made the semaphore and its key file; the imgshare sender that takes the key
    over removes them when it stops, as the Qt sender would have."""
    make("L").save(qt_env.tmp / "old.png")
    sent = make("RGB")
    sent.save(qt_env.tmp / "new.png")
    dead = qt_env.start("send", qt_env.key, "old.png", ready="shared")
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait(timeout=10)
    files, objects = qt_env.leftovers()
    assert len(files) == 2 and sorted(kind for kind, _ in objects) == ["sem", "shm"]
    qt_receiver_gets_cli_share(qt_env, qt_env.tmp / "new.png", sent)
