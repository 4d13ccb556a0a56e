"""imgsharesrc follows a sender whose size and format change every second at 60 frames/s (240 frames):
the caps follow each change, every buffer is exactly the frame it says it is, and every frame is either
a buffer or counted as missed."""

from __future__ import annotations

import re

from tests.gstreamer.frames import CHANGING, PER_STEP, changing_frame, changing_shape
from tests.gstreamer.test_src import share_frames

FRAMES = 240


def follow_changing_sender(gst, key, start_c, folder, **env: str) -> list[int]:
    """Run the 240-frame changing sender under imgsharesrc ! multifilesink; the frame numbers written, in
    order, each checked to be that frame exactly (in GStreamer's row layout: no GstVideoMeta there)."""
    src = gst.start(start_c, f"-v imgsharesrc key={key} ! multifilesink location={folder}/%05d.raw", **env)
    src.expect(f"Nothing is shared under the key '{key}' yet; waiting for a sender.")
    sender = share_frames(start_c, key, str(FRAMES), "60", "changing")
    sender.expect("done", timeout=60)
    assert sender.finish() == 0  # its Sender removed the share: the stream ends
    src.expect("Freeing pipeline", timeout=60)
    assert src.finish() == 0, src.stderr()
    caps = re.findall(r"imgsharesrc0\.GstPad:src: caps = video/x-raw, format=\(string\)(\w+), width=\(int\)(\d+), "
                      r"height=\(int\)(\d+)", "\n".join(src.output))
    assert caps == [(fmt, str(w), str(h)) for w, h, fmt in CHANGING]
    return [changing_frame(path.read_bytes()) for path in sorted(folder.glob("*.raw"))]


def test_the_source_follows_size_and_format_changes(gst, key, start_c, tmp_path):
    log = tmp_path / "debug.log"
    frames = follow_changing_sender(gst, key, start_c, tmp_path, GST_DEBUG="imgsharesrc:5", GST_DEBUG_FILE=str(log))
    assert frames == sorted(set(frames))  # in order, none twice
    # the images missed between two buffers are counted (frame n is the share of sequence n + 1)
    counted = {int(sequence): int(missed) for missed, sequence in
               re.findall(r"(\d+) images missed before image (\d+)", log.read_text())}
    gaps = zip(frames, frames[1:], strict=False)
    assert counted == {after + 1: after - before - 1 for before, after in gaps if after - before > 1}
    shapes = {changing_shape(n) for n in frames}
    assert shapes == set(CHANGING)
    # On a loaded machine a frame may be shared again before the last one was written; such frames are
    # missed (readers count them), never torn or mixed up. How many arrived is bench/gstreamer.py's figure.
    print(f"{len(frames)} of {FRAMES} frames arrived ({PER_STEP} per size and format)")
