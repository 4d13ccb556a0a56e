"""imgsharesink in real gst-launch-1.0 pipelines: every format it takes is shared pixel-exact (checked
with `imgshare compare` against pngenc's output of the same test pattern, and byte for byte against the
raw frame), each frame once, the share removed or persisted as asked, and errors as GStreamer users
read them."""

from __future__ import annotations

import os
import subprocess
import threading

import numpy as np
import pytest
import sysv_ipc

from imgshare.following import FollowKind, follow
from imgshare.image16 import Image16
from imgshare.ipc import Receiver, Sender, sysv_key
from tests.conftest import run_cli
from tests.gstreamer.conftest import error_line
from tests.gstreamer.frames import FORMATS, rows_of
from tests.ipc_cleanup import objects_of

WIDTH, HEIGHT = 101, 37  # rows of 101 pixels are no multiple of 4 bytes in GRAY8, RGB and BGR: strides differ
# format imgsharesink takes -> (the format pngenc writes it as, the mode and BGR flag shared); pngenc holds
# no 16-bit colour: those frames' expected PNG is written by imgshare itself (imgshare.image16)
SINK_FORMATS = {
    "GRAY8": ("GRAY8", "L", False), "GRAY16_LE": ("GRAY16_BE", "I;16", False), "RGB": ("RGB", "RGB", False),
    "BGR": ("RGB", "RGB", True), "RGBA": ("RGBA", "RGBA", False), "BGRA": ("RGBA", "RGBA", True),
    "RGBx": ("RGBA", "RGBA", False), "BGRx": ("RGBA", "RGBA", True),
    "RGBA64_LE": (None, "RGBA;16", False), "BGRA64_LE": (None, "RGBA;16", True),
}


def caps(fmt: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return f"video/x-raw,format={fmt},width={width},height={height}"


def share_test_pattern(gst, key: str, fmt: str, folder, pattern: str = "smpte") -> tuple:
    """One frame of videotestsrc's pattern in fmt, to imgsharesink (persisted), to a raw file and, through
    videoconvert, to pngenc; (the PNG's path, the raw frame)."""
    png, raw = folder / f"{fmt}.png", folder / f"{fmt}.raw"
    to_png = (f"t. ! queue ! videoconvert ! video/x-raw,format={SINK_FORMATS[fmt][0]} ! pngenc ! filesink "
              f"location={png}") if SINK_FORMATS[fmt][0] else ""
    result = gst.launch(f"videotestsrc num-buffers=1 pattern={pattern} ! {caps(fmt)} ! tee name=t "
                        f"t. ! queue ! imgsharesink key={key} persist=true "
                        f"t. ! queue ! filesink location={raw} {to_png}")
    assert result.returncode == 0, result.stdout + result.stderr
    if not to_png:  # 16-bit colour, R, G, B, A in that order
        rgba = rows_of(raw.read_bytes(), fmt, WIDTH, HEIGHT)[:, :, [2, 1, 0, 3] if fmt == "BGRA64_LE" else [0, 1, 2, 3]]
        Image16("RGBA;16", (WIDTH, HEIGHT), np.ascontiguousarray(rgba).astype("<u2").tobytes()).save(png)
    return png, raw.read_bytes()


@pytest.mark.parametrize("fmt", SINK_FORMATS)
def test_every_format_is_shared_pixel_exact(gst, key, fmt, tmp_path):
    png, raw = share_test_pattern(gst, key, fmt, tmp_path)
    compared = run_cli("compare", "--key", key, str(png))
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert compared.stdout.startswith(f"pixel-exact: {WIDTH}x{HEIGHT} {SINK_FORMATS[fmt][1]}")
    # byte for byte: the shared rows are the frame's rows (BGR orders as they are, flagged)
    padded = fmt in ("RGBx", "BGRx")
    as_read = {"RGBx": "RGBA", "BGRx": "BGRA"}.get(fmt, fmt)
    expected = rows_of(raw, as_read, WIDTH, HEIGHT).copy()
    if padded:
        expected[:, :, 3] = 255  # the padding byte arrives as an opaque alpha
    with Receiver(key) as receiver:
        array, info = receiver.receive_array(channels=FORMATS[as_read][2])
    assert (info.mode, info.bgr) == SINK_FORMATS[fmt][1:]
    assert np.array_equal(array, expected)


def test_each_frame_is_shared_once_and_the_share_removed_at_the_end(gst, key):
    result = gst.launch(f"videotestsrc num-buffers=5 ! {caps('RGBA', 64, 48)} ! imgsharesink key={key} persist=true")
    assert result.returncode == 0, result.stderr
    with Receiver(key) as receiver:
        info = receiver.receive()[1]
    assert info.sequence == 5  # the preroll frame is not shared again when the pipeline plays
    assert info.persisted and not info.sender_alive and info.checksum == "none"  # a stream's default

    result = gst.launch(f"videotestsrc num-buffers=3 ! {caps('GRAY8')} ! imgsharesink key={key}")
    assert result.returncode == 0, result.stderr
    gone = run_cli("info", "--key", key)
    assert gone.returncode == 3, gone.stdout  # persist=false: the share went with the pipeline
    assert objects_of(key) == []


def test_a_follower_gets_every_frame_or_counts_it_missed(gst, key):
    frames = 120
    stop = threading.Event()
    with Receiver(key) as receiver:
        pipeline = subprocess.Popen(
            ["gst-launch-1.0", *f"videotestsrc num-buffers={frames} pattern=ball ! {caps('RGBA', 64, 48)} ! "
             f"imgsharesink key={key} sync=false persist=true".split()], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, env=gst.env())
        # a pipeline that fails stops the follower (else it would wait for frames that never come)
        watcher = threading.Thread(target=lambda: pipeline.wait() and stop.set(), daemon=True)
        watcher.start()
        try:
            accounted = first = 0
            for event in follow(receiver, stop):
                assert event.kind is FollowKind.FRAME and event.received is not None, event
                info = event.received[1]
                first = first or info.sequence
                accounted += 1 + event.missed
                if info.sequence == frames:
                    break
            stop.set()
        finally:
            _, errors = pipeline.communicate(timeout=60)
    assert pipeline.returncode == 0, errors
    assert first - 1 + accounted == frames  # each frame was either received or counted as missed


def test_checksum_and_source_name(gst, key):
    result = gst.launch(f"videotestsrc num-buffers=2 ! {caps('RGB')} ! imgsharesink key={key} checksum=true "
                        "source-name=camera-1 persist=true")
    assert result.returncode == 0, result.stderr
    with Receiver(key) as receiver:
        image, info = receiver.receive()  # verified against the checksum
    assert info.checksum.startswith("xxh3:") and info.source_name == "camera-1"


def test_a_key_that_is_no_key_fails_the_element(gst):
    result = gst.launch(f"videotestsrc num-buffers=1 ! imgsharesink key={'k' * 256}")
    assert result.returncode != 0  # 255: gst-launch-1.0 could not start the pipeline
    assert error_line(result, "imgsharesink0") == "The key is 256 bytes long in UTF-8; at most 255 are allowed."
    assert "IMGSHARE_USAGE" in result.stdout + result.stderr


def test_a_key_another_sender_serves_is_left_alone(gst, key):
    with Sender(key) as sender:
        sender.share(np.full((5, 7), 42, np.uint8))
        result = gst.launch(f"videotestsrc num-buffers=1 ! imgsharesink key={key}")
        assert result.returncode != 0  # refused as the pipeline starts: gst-launch-1.0 cannot set it to PAUSED
        assert error_line(result, "imgsharesink0") == f"The key '{key}' is in use by pid {os.getpid()}."
        with Receiver(key) as receiver:
            array, info = receiver.receive_array()
        assert info.sequence == 1 and array.shape == (5, 7) and (array == 42).all()


def test_another_programs_segment_at_the_key_is_left_alone(gst, key):
    foreign = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=5333)
    try:
        foreign.write(b"another program")
        # a live source: the first frame (and the error) comes once gst-launch-1.0 1.22 listens for errors;
        # an error posted while it is still setting the pipeline to PAUSED can leave it waiting for ever
        result = gst.launch(f"videotestsrc is-live=true num-buffers=1 ! imgsharesink key={key}")
        assert result.returncode == 1
        sentence = error_line(result, "imgsharesink0")  # the C library's sentence, as a GStreamer error's text
        assert sentence.startswith(f"The key '{key}' holds another program's shared memory") and sentence.endswith(".")
        assert foreign.read(15) == b"another program" and foreign.size == 5333
    finally:
        foreign.detach()
        sysv_ipc.remove_shared_memory(foreign.id)
