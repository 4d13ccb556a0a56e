"""`imgshare receive` as a real process: where it writes (files, folders, overwriting), lossy formats,
and `--follow` with nothing shared (waiting, --wait, Ctrl+C)."""

from __future__ import annotations

import signal

import pytest
from PIL import Image

from imgshare.ipc import Sender
from tests.conftest import run_cli, start_cli
from tests.images import digest, make_image
from tests.test_cli_send import one_error_line, read_line_with


@pytest.fixture
def shared(key):
    image = make_image("RGB", (64, 40), seed=3)
    with Sender(key) as sender:
        sender.share(image, source_name="holiday photo.jpg")
        yield image


def test_lossy_output_says_so_and_lossless_does_not(key, shared, tmp_path):
    for name in ("x.jpg", "x.webp"):
        result = run_cli("receive", "--key", key, "-o", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        assert result.stderr.startswith(f"imgshare: warning: {tmp_path / name} is in a lossy format")
        assert "save as .png or .tif to keep them exactly" in result.stderr
    result = run_cli("receive", "--key", key, "-o", str(tmp_path / "x.png"))
    assert result.returncode == 0 and result.stderr == ""
    assert digest(Image.open(tmp_path / "x.png")) == digest(shared)


def test_into_a_folder_uses_the_source_name(key, shared, tmp_path):
    result = run_cli("receive", "--key", key, "-o", f"{tmp_path}/")
    assert result.returncode == 0, result.stderr
    written = tmp_path / "holiday photo.png"  # the source's name, in a format that keeps it exactly
    assert result.stdout.startswith(f"saved {written}:")
    assert digest(Image.open(written)) == digest(shared)
    again = run_cli("receive", "--key", key, "-o", str(tmp_path))  # an existing folder, without the /
    assert again.returncode == 1
    assert one_error_line(again.stderr) == f"imgshare: error: {written} already exists; use --force to overwrite it"


def test_an_existing_file_is_kept_unless_forced(key, shared, tmp_path):
    out = tmp_path / "out.png"
    Image.new("L", (5, 5)).save(out)
    result = run_cli("receive", "--key", key, "-o", str(out))
    assert result.returncode == 1 and "already exists; use --force" in one_error_line(result.stderr)
    assert Image.open(out).size == (5, 5)
    result = run_cli("receive", "--key", key, "-o", str(out), "--force")
    assert result.returncode == 0 and digest(Image.open(out)) == digest(shared)


@pytest.mark.parametrize("output, sentence", [
    ("missing/x.png", "cannot write {tmp}/missing/x.png: the folder {tmp}/missing does not exist"),
    ("missing/", "cannot write into {tmp}/missing/: the folder {tmp}/missing/ does not exist"),
    ("noext", "cannot write {tmp}/noext: the name has no extension to choose a format; add .png or .tif "
              "(or end it with / to write into a folder)"),
    ("x.notaformat", "cannot write {tmp}/x.notaformat: .notaformat is not an image format imgshare can "
                     "write; use .png or .tif"),
    ("afile.txt/x.png", "cannot write {tmp}/afile.txt/x.png: {tmp}/afile.txt is a file, not a folder"),
])
def test_output_problems_are_one_sentence(key, shared, tmp_path, output, sentence):
    (tmp_path / "afile.txt").write_text("text")
    result = run_cli("receive", "--key", key, "-o", str(tmp_path / output) + ("/" if output.endswith("/") else ""))
    assert result.returncode == 1
    assert one_error_line(result.stderr) == "imgshare: error: " + sentence.format(tmp=tmp_path)


def test_follow_needs_a_folder(key, tmp_path):
    result = run_cli("receive", "--key", key, "--follow", "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert "with --follow, -o names a folder" in one_error_line(result.stderr)
    assert not (tmp_path / "x.png").exists()  # no folder named like a file
    (tmp_path / "file").write_text("")
    result = run_cli("receive", "--key", key, "--follow", "-o", str(tmp_path / "file"))
    assert result.returncode == 2 and "is a file" in one_error_line(result.stderr)


def test_follow_into_a_folder_never_overwrites(key, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    Image.new("L", (3, 3)).save(folder / "000001.png")  # left by an earlier run
    with Sender(key) as sender:
        sender.share(make_image("RGB", (10, 10), seed=1))
        result = run_cli("receive", "--key", key, "--follow", "--count", "1", "-o", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{folder / '000001-2.png'}:")
    assert Image.open(folder / "000001.png").size == (3, 3)


def test_follow_with_nothing_shared_says_it_waits_and_honours_wait(key):
    result = run_cli("receive", "--key", key, "--follow", "--wait", "1.5", timeout=60)
    assert result.returncode == 5, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (f"imgshare: nothing is shared under the key {key!r} yet; waiting for up to 1.5 s "
                        "(Ctrl+C to stop)")
    assert lines[1:] == [f"imgshare: error: nothing was shared under the key {key!r} within 1.5 s"]


def test_ctrl_c_while_following_with_nothing_received_exits_130(key):
    proc = start_cli("receive", "--key", key, "--follow")
    read_line_with(proc.stderr, "waiting (Ctrl+C to stop)")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip() == "imgshare: interrupted (SIGINT); no image was received"
    assert out == ""
