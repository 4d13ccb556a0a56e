"""`imgshare send` as a real process: no hang on a pipe, a signal while loading shares nothing,
standard input as the file; and loading never changes Pillow's process-wide limit."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

import pytest
from PIL import Image

from imgshare.imaging import MAX_PIXELS, load_image
from imgshare.ipc import NotSharedError, Receiver, TooLargeError
from tests.conftest import ROOT, run_cli, start_cli, wait_until
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of


def read_line_with(stream, text: str, timeout: float = 30.0) -> str:
    """The first line of a process's pipe that contains text (fails at the deadline)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return line
    pytest.fail(f"no line with {text!r} within {timeout} s; saw {seen!r}")


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imgshare: error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_fifo_is_refused_at_once(key, tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # nobody ever writes to it: reading it would block forever
    result = run_cli("send", str(fifo), "--key", key, timeout=30)
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line == (f"imgshare: error: {fifo}: not a regular file (a pipe, socket or device); imgshare opens "
                    "image files only; to share what a pipe carries, give - as the file and feed it on "
                    "standard input")
    assert objects_of(key) == []


@pytest.fixture(scope="module")
def slow_to_load(tmp_path_factory):
    """An animated GIF whose 200 frames of 1000x1000 take seconds to decode (all of them, before sharing)."""
    path = tmp_path_factory.mktemp("slow") / "slow.gif"
    base = Image.effect_noise((1000, 1000), 80).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    frames = [base.rotate(angle, fillcolor=0) for angle in range(200)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=40, loop=0)
    return path


@pytest.mark.parametrize("signum, code, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_while_loading_aborts_with_nothing_shared(key, slow_to_load, signum, code, name):
    proc = start_cli("send", str(slow_to_load), "--key", key, "--verbose")
    try:
        read_line_with(proc.stderr, "imgshare: loading")  # decoding has started
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, (out, err)
    assert "shared" not in out  # it gave up before sharing anything
    assert f"imgshare: interrupted ({name}); nothing was shared" in err and "Traceback" not in err
    assert objects_of(key) == []
    with pytest.raises(NotSharedError):
        Receiver(key).info()


def test_send_dash_reads_standard_input(key, tmp_path):
    image = make_image("RGBA", (123, 45), seed=11)
    path = tmp_path / "in.png"
    image.save(path)
    with open(path, "rb") as stdin:
        proc = start_cli("send", "-", "--key", key, stdin=stdin)
    try:
        line = read_line_with(proc.stdout, "shared")
        assert line.startswith("shared standard input (123x45 RGBA) under key"), line
        got, info = Receiver(key).receive()
        assert digest(got) == digest(image) and info.source_name == ""
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0 and objects_of(key) == []


def test_send_dash_refuses_what_is_not_an_image_and_watching(key):
    result = run_cli("send", "-", "--key", key, input="not an image")
    assert result.returncode == 1 and "standard input: not an image file" in one_error_line(result.stderr)
    result = run_cli("send", "-", "--key", key, input="")
    assert result.returncode == 1 and "standard input is empty" in one_error_line(result.stderr)
    result = run_cli("send", "-", "--watch", "--key", key, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "standard input cannot be watched" in one_error_line(result.stderr)
    assert objects_of(key) == []


def big_png_header(path, width: int, height: int) -> None:
    """A small PNG whose header claims width x height: a decompression bomb."""
    Image.new("1", (width, height)).save(path)


@pytest.mark.parametrize("users_limit", [None, 10_000])
def test_loading_leaves_pillows_limit_alone_and_still_refuses_a_bomb(tmp_path, users_limit):
    bomb = tmp_path / "bomb.png"
    big_png_header(bomb, 20000, 14000)  # 280 million pixels, a few kilobytes on disk
    assert 20000 * 14000 > MAX_PIXELS
    ordinary = tmp_path / "ordinary.png"
    make_image("RGB", (50, 50)).save(ordinary)
    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = users_limit  # what a library user of imgshare may have chosen
    try:
        with pytest.raises(TooLargeError, match="too many pixels"):
            load_image(bomb)
        assert Image.MAX_IMAGE_PIXELS == users_limit
        assert load_image(ordinary).size == (50, 50)  # 2500 pixels: within both limits
        assert Image.MAX_IMAGE_PIXELS == users_limit
    finally:
        Image.MAX_IMAGE_PIXELS = before


def test_the_command_line_refuses_a_bomb_in_one_line(key, tmp_path):
    bomb = tmp_path / "bomb.png"
    big_png_header(bomb, 20000, 14000)
    result = run_cli("send", str(bomb), "--key", key)
    assert result.returncode == 1
    assert "too many pixels" in one_error_line(result.stderr)
    assert objects_of(key) == []


def test_the_new_sender_is_refused_and_the_first_share_stays(key, tmp_path):
    """`send` under a key another live sender holds fails and leaves that share untouched."""
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    make_image("RGB", (40, 30), seed=1).save(first)
    make_image("L", (20, 20), seed=2).save(second)
    proc = start_cli("send", str(first), "--key", key)
    try:
        read_line_with(proc.stdout, "shared first.png")
        result = run_cli("send", str(second), "--key", key, "--timeout", "1")
        assert result.returncode == 7 and "in use by pid" in one_error_line(result.stderr)
        image, info = Receiver(key).receive()
        assert digest(image) == digest(load_image(first)) and info.sender_pid == proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    wait_until(lambda: objects_of(key) == [], 10, "the share to be removed")


def test_watch_works_in_qt_mode_as_on_the_sender_tab(key, tmp_path, monkeypatch):
    from imgshare.ipc.qt import QtReceiver
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # Qt's key files: here, for this process and the sender
    path = tmp_path / "watched.png"
    Image.new("RGB", (20, 10), "red").save(path)
    proc = start_cli("send", "--qt", "--watch", str(path), "--key", key)
    try:
        assert read_line_with(proc.stdout, "shared").rstrip().endswith(
            f"watching for changes; serving until interrupted (Ctrl+C), pid {proc.pid}")
        assert QtReceiver(key).receive()[0].convert("RGB").getpixel((0, 0)) == (255, 0, 0)
        Image.new("RGB", (20, 10), "blue").save(path)
        assert "again" in read_line_with(proc.stdout, "shared watched.png (20x10 RGB) again")
        assert QtReceiver(key).receive()[0].convert("RGB").getpixel((0, 0)) == (0, 0, 255)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["watched.png"]  # Qt's key files removed too


def test_a_signal_while_reading_standard_input_aborts(key):
    proc = start_cli("send", "-", "--key", key, "--verbose", stdin=subprocess.PIPE)
    try:
        read_line_with(proc.stderr, "imgshare: loading standard input")  # now blocked reading the pipe
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143 and out == ""
    assert err.strip().splitlines()[-1] == "imgshare: interrupted (SIGTERM); nothing was shared"
    assert objects_of(key) == []


def test_error_sentences_name_the_path_as_typed(key, tmp_path):
    (tmp_path / "sub").mkdir()
    typed = os.path.relpath(tmp_path / "sub" / "missing.png", ROOT)  # run_cli runs in ROOT
    result = run_cli("send", typed, "--key", key)
    assert one_error_line(result.stderr) == f"imgshare: error: {typed}: no such file"
    folder = os.path.relpath(tmp_path / "sub", ROOT)
    result = run_cli("send", folder, "--key", key)  # a folder is played as frames (issue 20): this one is empty
    assert one_error_line(result.stderr) == f"imgshare: error: the folder {folder} holds no image files"
