"""A sender in a process of its own for the GStreamer tests: shares frames of tests/gstreamer/frames.py's
pattern under a key, paced at a frame rate, printing "shared N" after each and "done" at the end.

    share_frames.py KEY COUNT FPS changing       the changing sender: size and format change every 60 frames
    share_frames.py KEY COUNT FPS FORMAT W H     frames of one format and size
    share_frames.py ... --step                   share each frame only after a line on standard input

Ends after COUNT frames (its Sender removes the share), or when killed."""

from __future__ import annotations

import sys
import time

from imgshare.ipc import Sender
from tests.gstreamer.frames import FORMATS, changing_shape, pattern


def main() -> None:
    key, count, fps, kind, *rest = sys.argv[1:]
    step = "--step" in rest
    period = 1 / float(fps)
    with Sender(key) as sender:
        start = time.monotonic()
        for n in range(int(count)):
            if step and not sys.stdin.readline():
                break
            width, height, fmt = changing_shape(n) if kind == "changing" else (int(rest[0]), int(rest[1]), kind)
            sender.share(pattern(n, width, height, fmt), channels=FORMATS[fmt][2])
            print("shared", n, flush=True)
            if not step:  # paced: a frame every period, however long sharing took
                time.sleep(max(0.0, start + (n + 1) * period - time.monotonic()))
        print("done", flush=True)


main()
