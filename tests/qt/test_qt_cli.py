"""The command line's --qt: a real Qt program on the other side of send, receive, info and list."""

from __future__ import annotations

import json

from PIL import Image

from tests.conftest import run_cli
from tests.qt.exchange import qt_receiver_gets_cli_share
from tests.qt.images import assert_same, make


def test_cli_receive_from_a_qt_sender(qt_env, tmp_path):
    sent = make("RGBA")
    sent.save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    info = json.loads(run_cli("info", "--qt", "--key", qt_env.key, "--json").stdout)
    assert info["sender_pid"] == sender.pid and info["mode"] == "RGBA"
    # Qt's key files keep only a hash of the key, so the listing names shares by sender and file.
    listed = json.loads(run_cli("list", "--qt", "--json").stdout)
    assert any(s["info"] and s["info"]["sender_pid"] == sender.pid for s in listed)
    out = tmp_path / "out.png"
    result = run_cli("receive", "--qt", "--key", qt_env.key, "-o", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as got:
        assert_same(got, sent)
    qt_env.finish(sender)
    qt_env.assert_clean()


def test_cli_send_to_an_unmodified_qt_receiver(qt_env):
    sent = make("RGB")
    sent.save(qt_env.tmp / "picture.png")
    qt_receiver_gets_cli_share(qt_env, qt_env.tmp / "picture.png", sent)


def test_cli_refuses_follow_in_qt_mode(qt_env):  # send --qt --watch works: tests/test_cli_send.py
    assert run_cli("receive", "--qt", "--follow", "--key", qt_env.key).returncode == 2
    assert run_cli("receive", "--qt", "--key", qt_env.key).returncode == 3
    qt_env.assert_clean()
