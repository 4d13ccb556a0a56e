"""The command line's --qt: a real Qt program on the other side of send, receive, info and list."""

from __future__ import annotations

import json
import os

from PIL import Image

from tests.conftest import run_cli, start_cli
from tests.qt.exchange import qt_receiver_gets_cli_share
from tests.qt.images import assert_same, make
from tests.test_cli_send import read_line_with


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


def test_list_names_a_qt_programs_share_by_a_key_that_key_accepts(qt_env, tmp_path):
    sent = make("RGB")
    sent.save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    listed = run_cli("list", "--qt")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if f" {sender.pid} " in line)
    label = row.split()[0]  # the key string is unknown (Qt's files hold only its hash)
    assert "#" in label and label != qt_env.key and row.split()[3] == "-"  # no sequence in Qt's format
    out = tmp_path / "by-label.png"
    got = run_cli("receive", "--qt", "--key", label, "-o", str(out))
    assert got.returncode == 0, got.stderr
    with Image.open(out) as image:
        assert_same(image, sent)
    info = run_cli("info", "--qt", "--key", label)
    assert info.returncode == 0, info.stderr
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines())
    assert fields["sequence"].strip() == "none (this format carries none)"
    assert fields["payload"].strip().endswith("bytes: a stream holding a PNG file, with no checksum")
    assert "stride" not in info.stdout and "sequence 0" not in got.stdout
    assert fields["System V key"].strip().endswith(f"from the key file {os.path.basename(qt_env.paths.shm_file)}")
    as_json = json.loads(run_cli("info", "--qt", "--key", label, "--json").stdout)
    assert as_json["sequence"] is None and as_json["stride"] is None and as_json["checksum"] is None
    qt_env.finish(sender)
    qt_env.assert_clean()


def test_list_names_imgshares_own_qt_share_by_its_key(qt_env):
    key = f"mine-{qt_env.key}"
    make("L").save(qt_env.tmp / "gray.png")
    sender = start_cli("send", "--qt", str(qt_env.tmp / "gray.png"), "--key", key)
    try:
        read_line_with(sender.stdout, "serving until interrupted")
        qt_env.note()
        listed = run_cli("list", "--qt")
        assert any(line.split()[0] == key for line in listed.stdout.splitlines()[1:-1]), listed.stdout
    finally:
        sender.terminate()
        sender.wait(20)
    qt_env.assert_clean()
