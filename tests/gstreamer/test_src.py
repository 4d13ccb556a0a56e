"""imgsharesrc in real gst-launch-1.0 pipelines: every mode it outputs comes out pixel-exact from the
command line and from the Python API (lent in place or copied), converted modes match Pillow's
conversion, images it cannot output are clear element errors, and it waits, ends or goes on with a new
sender as asked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgshare.ipc import Sender, sysv_key
from tests.c.conftest import Program
from tests.conftest import ROOT, run_cli, start_cli, wait_until
from tests.gstreamer.conftest import error_line
from tests.gstreamer.frames import FORMATS, pattern, rows_of
from tests.ipc_cleanup import remove_objects_at
from tests.qt.conftest import QtEnv
from tests.test_roundtrip import stop, wait_for_line

WIDTH, HEIGHT = 101, 37
# format imgsharesrc outputs -> the format pngenc writes it as
SRC_FORMATS = {"GRAY8": "GRAY8", "GRAY16_LE": "GRAY16_BE", "RGB": "RGB", "BGR": "RGB", "RGBA": "RGBA",
               "BGRA": "RGBA"}
LAST_MESSAGE = "/GstPipeline:pipeline0/GstFakeSink:fakesink0: last-message = chain"


def src_caps(output: str) -> list[tuple[str, str, str]]:
    """The caps imgsharesrc set, in order (gst-launch-1.0 -v prints each)."""
    return re.findall(r"imgsharesrc0\.GstPad:src: caps = video/x-raw, format=\(string\)(\w+), "
                      r"width=\(int\)(\d+), height=\(int\)(\d+)", output)


def offset(line: str) -> int:
    """The offset of the buffer fakesink's last-message line describes: the image's sequence number."""
    return int(re.search(r"offset: (\d+),", line).group(1))


def pattern_files(gst, fmt: str, folder: Path) -> tuple[Path, bytes]:
    """videotestsrc's pattern in fmt: as a PNG (pngenc, through videoconvert) and as a raw frame."""
    png, raw = folder / f"expected-{fmt}.png", folder / f"expected-{fmt}.raw"
    result = gst.launch(f"videotestsrc num-buffers=1 ! video/x-raw,format={fmt},width={WIDTH},height={HEIGHT} ! "
                        f"tee name=t t. ! queue ! filesink location={raw} "
                        f"t. ! queue ! videoconvert ! video/x-raw,format={SRC_FORMATS[fmt]} ! pngenc ! "
                        f"filesink location={png}")
    assert result.returncode == 0, result.stderr
    return png, raw.read_bytes()


@pytest.mark.parametrize("max_lent", [1, 0], ids=["lent", "copied"])
@pytest.mark.parametrize("fmt", SRC_FORMATS)
def test_every_format_comes_out_pixel_exact(gst, key, fmt, max_lent, tmp_path):
    expected, raw = pattern_files(gst, fmt, tmp_path)
    sender: Sender | subprocess.Popen[str]
    if FORMATS[fmt][2]:  # OpenCV's orders come from the Python API, carried as they are
        sender = Sender(key)
        sender.share(rows_of(raw, fmt, WIDTH, HEIGHT), channels=FORMATS[fmt][2])
    else:
        sender = start_cli("send", str(expected), "--key", key)
        assert "shared" in wait_for_line(sender)
    try:
        out = tmp_path / "out.png"
        result = gst.launch(f"-v imgsharesrc key={key} num-buffers=1 max-lent={max_lent} ! videoconvert ! "
                            f"video/x-raw,format={SRC_FORMATS[fmt]} ! pngenc ! filesink location={out}",
                            GST_DEBUG="imgsharesrc:6")
        assert result.returncode == 0, result.stderr
        assert src_caps(result.stdout) == [(fmt, str(WIDTH), str(HEIGHT))]
        assert ("image 1 lent in place" if max_lent else "image 1 copied") in result.stderr
        compared = run_cli("compare", "--key", key, str(out))
        assert compared.returncode == 0, compared.stdout + compared.stderr
    finally:
        sender.close() if isinstance(sender, Sender) else stop(sender)
    with Image.open(out) as got, Image.open(expected) as want:
        assert (got.mode, got.size) == (want.mode, want.size)
        assert got.tobytes() == want.tobytes()  # the same as pngenc's own encoding of the pattern


@pytest.mark.parametrize("max_lent", [1, 0], ids=["lent", "copied"])
@pytest.mark.parametrize("bands, channels, fmt", [(4, None, "RGBA64_LE"), (4, "BGRA", "BGRA64_LE"),
                                                  (3, None, "RGBA64_LE"), (3, "BGR", "BGRA64_LE")])
def test_16_bit_colour_comes_out_exact(gst, key, bands, channels, fmt, max_lent, tmp_path):
    """RGBA;16 as it is; RGB;16 (GStreamer has no packed 16-bit RGB) with an opaque alpha. pngenc holds no
    16-bit colour: the raw buffer is compared with what was shared."""
    shared = np.random.default_rng(bands).integers(0, 65536, (HEIGHT, WIDTH, bands), dtype=np.uint16)
    raw = tmp_path / "out.raw"
    with Sender(key) as sender:
        sender.share(shared, channels=channels)
        result = gst.launch(f"-v imgsharesrc key={key} num-buffers=1 max-lent={max_lent} ! filesink location={raw}",
                            GST_DEBUG="imgsharesrc:6")
    assert result.returncode == 0, result.stderr
    assert src_caps(result.stdout) == [(fmt, str(WIDTH), str(HEIGHT))]
    assert ("image 1 lent in place" if max_lent and bands == 4 else "image 1 copied") in result.stderr
    expected = shared if bands == 4 else np.dstack([shared, np.full((HEIGHT, WIDTH), 65535, np.uint16)])
    assert np.array_equal(rows_of(raw.read_bytes(), fmt, WIDTH, HEIGHT), expected)


def palette_image(mode: str, seed: int) -> Image.Image:
    """A P image of random indices with a 200-entry palette (indices beyond it are black, as in Pillow)."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH), dtype=np.uint8), "P")
    entry = len(mode)
    image.putpalette(rng.integers(0, 256, 200 * entry, dtype=np.uint8).tobytes(), mode)
    return image


def converted_images() -> dict[str, tuple[Image.Image, str]]:
    """Images imgsharesrc converts, and the mode Pillow converts each to for the comparison."""
    rng = np.random.default_rng(7)
    bits = Image.fromarray(rng.integers(0, 2, (HEIGHT, WIDTH), dtype=np.uint8).astype(bool))
    grey_alpha = Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 2), dtype=np.uint8), "LA")
    transparent = palette_image("RGB", 2)
    transparent.info["transparency"] = 5
    alphas = palette_image("RGB", 3)
    alphas.info["transparency"] = bytes(rng.integers(0, 256, 77, dtype=np.uint8))
    return {"1": (bits, "L"), "LA": (grey_alpha, "RGBA"), "P": (palette_image("RGB", 1), "RGB"),
            "P-transparent-index": (transparent, "RGBA"), "P-alphas": (alphas, "RGBA"),
            "P-RGBA-palette": (palette_image("RGBA", 4), "RGBA")}


@pytest.mark.parametrize("case", converted_images())
def test_converted_modes_match_pillows_conversion(gst, key, case, tmp_path):
    image, mode = converted_images()[case]
    out = tmp_path / "out.png"
    with Sender(key) as sender:
        sender.share(image)
        result = gst.launch(f"imgsharesrc key={key} num-buffers=1 ! pngenc ! filesink location={out}")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as got:
        assert got.mode == mode
        assert got.tobytes() == image.convert(mode).tobytes()


@pytest.mark.parametrize("dtype, sentence", [
    (np.float32, "is of mode F (32-bit floating point)"), (np.int32, "is of mode I (signed 32-bit integers)")])
def test_an_image_no_raw_video_format_holds_fails_the_element(gst, key, dtype, sentence):
    with Sender(key) as sender:
        sender.share(np.zeros((5, 7), dtype))
        result = gst.launch(f"imgsharesrc key={key} ! fakesink")
    assert result.returncode == 1
    assert error_line(result, "imgsharesrc0") == (
        f"The image under the key '{key}' {sentence}, which no GStreamer raw video format holds; imgsharesrc "
        "outputs modes L, I;16, RGB, RGBA, RGB;16, RGBA;16, 1, LA and P.")


@pytest.fixture
def qt_env(tmp_path, monkeypatch):
    folder = tmp_path / "qtmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    env = QtEnv(folder)
    try:
        yield env
    finally:
        env.close()


def test_a_qt_mode_share_fails_the_element(gst, qt_env, tmp_path):
    path = tmp_path / "in.png"
    Image.new("RGB", (9, 4), (1, 2, 3)).save(path)
    sender = subprocess.Popen([sys.executable, "-m", "imgshare", "send", "--qt", str(path), "--key", qt_env.key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=qt_env.env, cwd=ROOT)
    qt_env.procs.append(sender)
    try:
        assert "shared" in wait_for_line(sender)
        result = gst.launch(f"imgsharesrc key={qt_env.key} ! fakesink", TMPDIR=str(qt_env.tmp))
    finally:
        stop(sender)
    assert result.returncode == 1
    assert error_line(result, "imgsharesrc0") == (
        f"The key '{qt_env.key}' holds a Qt-mode share (QSharedMemory with a PNG, as 'imgshare send --qt' makes "
        "it), which imgsharesrc does not read; share without --qt.")
    qt_env.assert_clean()


def test_nothing_shared_within_the_wait_fails_the_element(gst, key):
    result = gst.launch(f"imgsharesrc key={key} wait=0.3 ! fakesink")
    assert result.returncode == 1
    assert error_line(result, "imgsharesrc0") == f"Nothing was shared under the key '{key}' within 0.3 s."
    assert f"Nothing is shared under the key '{key}' yet; waiting for a sender." in result.stdout


def frame(value: int, width: int = 20, height: int = 10, channels: int = 3) -> np.ndarray:
    return np.full((height, width, channels), value, np.uint8)


def test_caps_downstream_refuses_fail_the_element_with_a_hint(gst, key):
    with Sender(key) as sender:
        sender.share(frame(1))
        result = gst.launch(f"imgsharesrc key={key} ! video/x-raw,format=GRAY8 ! fakesink")
    assert result.returncode == 1
    assert error_line(result, "imgsharesrc0") == (
        f"Downstream does not accept the image under the key '{key}' (RGB 20x10); put videoconvert after imgsharesrc.")


def test_without_do_timestamp_buffers_carry_the_share_time(gst, key, start_c):
    src = gst.start(start_c, f"-v imgsharesrc key={key} do-timestamp=false num-buffers=2 ! fakesink silent=false")
    src.expect(f"Nothing is shared under the key '{key}' yet; waiting for a sender.")
    with Sender(key) as sender:
        times = []
        for value in (1, 2):
            sender.share(frame(value))
            line = src.expect(LAST_MESSAGE)
            times.append(re.search(r"pts: (\d+):(\d+):([\d.]+),", line).groups())
    assert src.finish() == 0
    seconds = [int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in times]
    assert 0 < seconds[0] <= seconds[1]  # running time at the share: after the pipeline started, in order


def test_each_new_image_is_a_buffer_and_the_stream_ends_when_the_sender_stops(gst, key, start_c):
    src = gst.start(start_c, f"-v imgsharesrc key={key} ! fakesink silent=false")
    src.expect(f"Nothing is shared under the key '{key}' yet; waiting for a sender.")
    with Sender(key) as sender:
        for sequence in (1, 2, 3):  # the next image only once the last one came out: none is missed
            sender.share(frame(sequence))
            assert offset(src.expect(LAST_MESSAGE)) == sequence
    src.expect("Got EOS from element")  # the share was removed: the end of the stream
    assert src.finish() == 0


def test_a_sender_that_stops_and_comes_back_at_once_still_ends_the_stream(gst, key, start_c):
    """However soon the next sender shares (here in the same process, so with the same pid), the key was
    made anew (another epoch): the first sender's stream has ended."""
    src = gst.start(start_c, f"-v imgsharesrc key={key} ! fakesink silent=false")
    src.expect(f"Nothing is shared under the key '{key}' yet; waiting for a sender.")
    with Sender(key) as sender:
        sender.share(frame(1))
        src.expect(LAST_MESSAGE)
    with Sender(key) as sender:
        sender.share(frame(2))
        src.expect("Got EOS from element")
    src.expect("Freeing pipeline")
    assert src.finish() == 0
    assert [offset(line) for line in src.output if line.startswith(LAST_MESSAGE)] == [1]


def test_a_persisted_share_is_output_once_then_the_stream_ends(gst, key):
    sender = Sender(key)
    sender.share(frame(9))
    sender.close(persist=True)
    result = gst.launch(f"-v imgsharesrc key={key} ! fakesink silent=false")
    assert result.returncode == 0, result.stderr
    assert [offset(line) for line in result.stdout.splitlines() if line.startswith(LAST_MESSAGE)] == [1]


def test_on_stop_wait_goes_on_with_the_next_sender(gst, key, start_c):
    src = gst.start(start_c, f"-v imgsharesrc key={key} on-stop=wait num-buffers=2 ! fakesink silent=false")
    with Sender(key) as sender:
        sender.share(frame(1))
        src.expect(LAST_MESSAGE)
    src.expect(f"The sender of the key '{key}' stopped; waiting for a sender.")
    with Sender(key) as sender:  # another size and format: the caps follow
        sender.share(np.full((5, 30), 7, np.uint8))
        src.expect(LAST_MESSAGE)
        src.expect("Freeing pipeline")
        assert src.finish() == 0
    assert src_caps("\n".join(src.output)) == [("RGB", "20", "10"), ("GRAY8", "30", "5")]


def test_on_stop_wait_ends_the_stream_when_the_wait_runs_out(gst, key, start_c):
    with Sender(key) as sender:
        sender.share(frame(1))  # before the source starts: its wait covers the start too
        src = gst.start(start_c, f"-v imgsharesrc key={key} on-stop=wait wait=0.5 ! fakesink silent=false")
        src.expect(LAST_MESSAGE)
    src.expect(f"The sender of the key '{key}' stopped; waiting for a sender.")
    src.expect("Got EOS from element")
    assert src.finish() == 0


def share_frames(start_c, key: str, *args: str) -> Program:
    """Start tests/gstreamer/share_frames.py (a sender in a process of its own) and wait for its first frame."""
    program = start_c(sys.executable, Path(__file__).with_name("share_frames.py"), key, *args,
                      env=dict(os.environ, PYTHONPATH=str(ROOT)))
    program.expect("shared 0")
    return program


def kill_under_source(gst, start_c, key: str, properties: str = "") -> Program:
    """A sender of 64x48 RGBA frames at 30 a second, killed (SIGKILL: its share stays at the key, served by
    nobody) once imgsharesrc has output three of them; the source's gst-launch-1.0."""
    sender = share_frames(start_c, key, "100000", "30", "RGBA", "64", "48")
    src = gst.start(start_c, f"-v imgsharesrc key={key} {properties} ! fakesink silent=false")
    for _ in range(3):
        src.expect(LAST_MESSAGE)
    sender.process.kill()
    return src


def test_a_killed_sender_ends_the_stream(gst, key, start_c):
    src = kill_under_source(gst, start_c, key)
    src.expect("Got EOS from element")
    assert src.finish() == 0
    assert run_cli("info", "--key", key).returncode == 0  # left for the next sender (the key fixture removes it)


def test_after_a_killed_sender_the_next_one_is_followed(gst, key, start_c):
    src = kill_under_source(gst, start_c, key, "on-stop=wait num-buffers=6")
    src.expect(f"The sender of the key '{key}' stopped; waiting for a sender.")
    share_frames(start_c, key, "100000", "30", "GRAY16_LE", "80", "45")  # takes the dead one's key over
    src.expect("Freeing pipeline")  # its last line: all of its output is in src.output
    assert src.finish() == 0
    caps = src_caps("\n".join(src.output))
    assert caps[0] == ("RGBA", "64", "48") and caps[-1] == ("GRAY16_LE", "80", "45")


def test_lent_images_stay_whole_after_their_sender_is_killed_and_its_share_removed(gst, key, start_c, tmp_path):
    """Buffers wrapping the shared slots wait in a queue behind a slow element while the sender is killed
    and its segment removed: they stay mapped and unchanged until GStreamer frees them."""
    sender = share_frames(start_c, key, "100000", "30", "RGBA", "64", "48")
    src = gst.start(start_c, f"imgsharesrc key={key} max-lent=3 ! queue max-size-buffers=4 ! "
                    f"identity sleep-time=100000 ! multifilesink location={tmp_path}/%05d.raw",
                    GST_DEBUG="imgsharesrc:6")
    wait_until(lambda: len(list(tmp_path.glob("*.raw"))) >= 2, what="the first frames written")
    sender.process.kill()
    removed = remove_objects_at(sysv_key(key))  # lent buffers keep what they wrap mapped
    assert sum(kind == "shm" for kind, _ in removed) >= 2, removed  # the control and the pixels' data segments
    assert src.finish() == 0
    log = src.stderr()
    assert "lent in place" in log and "copied" in log  # three lent at most, the others copied
    files = sorted(tmp_path.glob("*.raw"))
    assert len(files) >= 4
    for path in files:
        data = path.read_bytes()
        assert np.array_equal(rows_of(data, "RGBA", 64, 48), pattern(data[0], 64, 48, "RGBA")), path.name
