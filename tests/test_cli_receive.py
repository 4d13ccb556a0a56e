"""`imgshare receive` as a real process: where it writes (files, folders, overwriting), lossy formats,
and `--follow` with nothing shared (waiting, --wait, Ctrl+C)."""

from __future__ import annotations

import io
import os
import signal
import subprocess

import pytest
from PIL import Image

from imgshare.fidelity import written_formats
from imgshare.ipc import Receiver, Sender
from tests.conftest import ROOT, imgshare_cmd, run_cli, start_cli
from tests.images import digest, make_image
from tests.test_cli_send import one_error_line, read_line_with


@pytest.fixture
def shared(key):
    image = make_image("RGB", (64, 40), seed=3)
    with Sender(key) as sender:
        sender.share(image, source_name="holiday photo.jpg")
        yield image


def test_lossy_output_says_so_and_lossless_does_not(key, shared, tmp_path):
    for name, shortfall in (("x.jpg", "JPEG is lossy: it changes pixel values"),
                            ("x.webp", "WebP is lossy: it changes pixel values"),
                            ("x.gif", "GIF keeps at most 256 colours")):
        result = run_cli("receive", "--key", key, "-o", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        assert result.stderr == (f"imgshare: warning: {tmp_path / name} does not keep this RGB image exactly: "
                                 f"{shortfall}; write .png to keep every value\n")
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
    ("x.notaformat", "cannot write {tmp}/x.notaformat: .notaformat is not an image format imgshare "
                     "writes; use .png or .tif (.bmp, .gif, .jpg, .webp, .jp2, .ppm, .tga{avif} are written too)"),
    ("x.ico", "cannot write {tmp}/x.ico: imgshare does not write ICO files (it cannot promise what they keep); "
              "use .png or .tif (.bmp, .gif, .jpg, .webp, .jp2, .ppm, .tga{avif} are written too)"),
    ("afile.txt/x.png", "cannot write {tmp}/afile.txt/x.png: {tmp}/afile.txt is a file, not a folder"),
])
def test_output_problems_are_one_sentence(key, shared, tmp_path, output, sentence):
    (tmp_path / "afile.txt").write_text("text")
    result = run_cli("receive", "--key", key, "-o", str(tmp_path / output) + ("/" if output.endswith("/") else ""))
    assert result.returncode == 1
    avif = ", .avif" if "AVIF" in written_formats() else ""
    assert one_error_line(result.stderr) == "imgshare: error: " + sentence.format(tmp=tmp_path, avif=avif)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile.txt"]  # nothing written


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


@pytest.mark.parametrize("mode, name, kept_by", [("F", "x.gif", ".tif"), ("I;16", "x.bmp", ".png"),
                                                 ("I", "x.jpg", ".tif"), ("F", "x.png", ".tif")])
def test_a_format_that_would_lose_the_values_is_refused_naming_one_that_keeps_them(key, tmp_path, mode, name,
                                                                                  kept_by):
    with Sender(key) as sender:
        sender.share(make_image(mode, (30, 20)))
        result = run_cli("receive", "--key", key, "-o", str(tmp_path / name))
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"imgshare: error: cannot write {tmp_path / name}: ")
    assert line.endswith(f"values of this {mode} image would be lost; write {kept_by} to keep every value")
    assert list(tmp_path.iterdir()) == []


def _run_binary(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """The CLI as a process whose standard output is bytes (an image), not text."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([*imgshare_cmd(), *args], stderr=subprocess.PIPE, timeout=60, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), **kwargs)


def test_minus_writes_the_image_to_standard_output_as_png_or_the_format_named(key):
    rgb, floats = make_image("RGB", (31, 17), seed=4), make_image("F", (31, 17), seed=4)
    with Sender(key) as sender:
        sender.share(rgb, source_name="a.png")
        done = _run_binary("receive", "--key", key, "-o", "-")
        assert done.returncode == 0, done.stderr
        with Image.open(io.BytesIO(done.stdout)) as written:
            assert written.format == "PNG" and digest(written) == digest(rgb)
        assert done.stderr.decode().startswith("imgshare: wrote 31x17 RGB from a.png, sequence 1")
        sender.share(floats)
        refused = _run_binary("receive", "--key", key, "-o", "-")
        assert refused.returncode == 1 and refused.stdout == b""
        assert one_error_line(refused.stderr.decode()) == (
            "imgshare: error: cannot write standard output: PNG holds no floating-point values, so the 32-bit "
            "floating-point values of this F image would be lost; write tif (--format tif) to keep every value")
        as_tiff = _run_binary("receive", "--key", key, "-o", "-", "--format", "tif")
        assert as_tiff.returncode == 0, as_tiff.stderr
        with Image.open(io.BytesIO(as_tiff.stdout)) as written:
            assert written.format == "TIFF" and digest(written) == digest(floats)
        with open("/dev/full", "wb") as full:  # no space left: one sentence, no errno text
            no_room = _run_binary("receive", "--key", key, "-o", "-", "--format", "tif", stdout=full)
        assert no_room.returncode == 1
        assert one_error_line(no_room.stderr.decode()) == ("imgshare: error: cannot write standard output: no "
                                                           "space left on the device")


def test_minus_pairs_with_send_minus(key, new_key):
    other = new_key()
    original = make_image("I;16", (40, 22), seed=8)
    with Sender(key) as sender:
        sender.share(original)
        given = _run_binary("receive", "--key", key, "-o", "-")
    assert given.returncode == 0, given.stderr
    taken = _run_binary("send", "-", "--key", other, "--persist", input=given.stdout)
    assert taken.returncode == 0, taken.stderr
    image, info = Receiver(other).receive()
    assert digest(image) == digest(original) and info.mode == "I;16"


def test_format_goes_with_minus_or_a_folder_and_minus_refuses_a_terminal_and_json(key, shared, tmp_path):
    cases = [(["-o", str(tmp_path / "x.png"), "--format", "gif"], "its extension names the format"),
             (["--format", "gif"], "--format goes with -o - (standard output) or -o FOLDER/"),
             (["-o", "-", "--format", "xyz"], "--format xyz is not an image format imgshare writes; use png or tif"),
             (["-o", "-", "--json"], "--json cannot print there too")]
    for args, words in cases:
        result = run_cli("receive", "--key", key, *args)
        assert result.returncode == 2 and words in one_error_line(result.stderr), (args, result.stderr)
    into = run_cli("receive", "--key", key, "-o", f"{tmp_path}/", "--format", "bmp")
    assert into.returncode == 0 and (tmp_path / "holiday photo.bmp").exists(), into.stderr
    leader, follower = os.openpty()
    try:
        terminal = _run_binary("receive", "--key", key, "-o", "-", stdout=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert terminal.returncode == 2
    assert one_error_line(terminal.stderr.decode()).startswith(
        "imgshare: error: -o - writes the image to standard output, which is a terminal")


def test_follow_to_standard_output_writes_each_image(key):
    frames = [make_image("RGB", (12, 7), seed=n) for n in range(2)]
    with Sender(key) as sender:
        sender.share(frames[0])
        proc = subprocess.Popen([*imgshare_cmd(), "receive", "--key", key, "--follow", "--count", "2", "-o", "-"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            assert b"sequence 1" in proc.stderr.readline()  # the first image is out: share the next
            sender.share(frames[1])
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    signature = b"\x89PNG\r\n\x1a\n"
    got = []
    for part in out.split(signature)[1:]:
        with Image.open(io.BytesIO(signature + part)) as image:
            got.append(digest(image))
    assert got == [digest(f) for f in frames]


def test_follow_makes_its_folder_only_when_the_first_image_arrives(key, tmp_path):
    folder = tmp_path / "frames"
    nothing = run_cli("receive", "--key", key, "--follow", "-o", f"{folder}/", "--wait", "1")
    assert nothing.returncode == 5, nothing.stderr
    assert not folder.exists()  # nothing arrived: nothing left behind
    image = make_image("L", (9, 5))
    with Sender(key) as sender:
        sender.share(image)
        one = run_cli("receive", "--key", key, "--follow", "-o", f"{folder}/", "--count", "1")
    assert one.returncode == 0, one.stderr
    assert one.stderr == f"imgshare: made the folder {folder}/\n"
    assert digest(Image.open(folder / "000001.png")) == digest(image)
