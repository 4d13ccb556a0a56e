"""A program on one of the tests' hosts (an IPC namespace), driven through its stdin and stdout.

  peer.py share KEY             for each line on stdin naming a case of tests/bridge/cases.py, share
                                it and print {"case", "sequence", "described"} (what a receiver here
                                reads back); "quit" ends it
  peer.py stream KEY N FPS W H  share N RGB frames of WxH at FPS a second, frame i with i in its first
                                pixels (a counter independent of the sequence); print "done" at the end
  peer.py watch KEY             follow KEY; print one JSON line per image ({"sequence", "missed",
                                "counter", "shared_at", "received_at", "described"}) and per "gone"
  peer.py describe KEY          print what is shared under KEY as JSON (exit 3 when nothing is)
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time

import numpy as np
from PIL import Image

from imgshare.following import FollowKind, follow
from imgshare.ipc import Image16, NotSharedError, Receiver, Sender, ShareInfo
from tests.bridge.cases import CASES, make_case


def described(image: Image.Image | Image16, info: ShareInfo) -> dict[str, object]:
    """Everything a receiver learns about an image but where it sits (key, epoch, sender, segment) and
    when it was shared there (the share time is the host's own)."""
    palette = image.palette.tobytes().hex() if image.mode == "P" and image.palette is not None else None
    transparency = image.info.get("transparency")
    if isinstance(transparency, bytes):
        transparency = transparency.hex()
    return {"mode": image.mode, "size": list(image.size), "pixels": hashlib.sha256(image.tobytes()).hexdigest(),
            "palette": palette, "transparency": transparency, "source_name": info.source_name,
            "source_mode": info.source_mode, "converted": info.converted, "bgr": info.bgr,
            "sequence": info.sequence, "checksum": info.checksum, "stride": info.stride, "tags": info.tags}


def counter_of(image: Image.Image | Image16) -> int:
    return int.from_bytes(image.tobytes()[:8], "little")


def share(key: str) -> None:
    with Sender(key) as sender, Receiver(key) as receiver:
        for line in sys.stdin:
            name = line.strip()
            if name == "quit":
                break
            image, channels, source_name, tags = make_case(name)
            sequence = sender.share(image, source_name=source_name, channels=channels, tags=tags)
            got, info = receiver.receive()
            print(json.dumps({"case": name, "sequence": sequence, "described": described(got, info)}), flush=True)


def stream(key: str, count: int, fps: float, width: int, height: int) -> None:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = (30, 90, 150)
    flat = frame.reshape(-1)
    start = time.monotonic()
    with Sender(key, checksum=True) as sender:
        for i in range(count):
            flat[:8] = np.frombuffer(i.to_bytes(8, "little"), np.uint8)
            sender.share(frame, source_name="counter", tags={"counter": i, "shared_at": time.time()})
            delay = start + (i + 1) / fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the stream's own pace, not a synchronisation
        print("done", flush=True)
        sys.stdin.readline()  # keep the share until told (the far side may still be reading it)


def watch(key: str) -> None:
    stop = threading.Event()
    with Receiver(key) as receiver:
        print("watching", flush=True)
        for event in follow(receiver, stop):
            if event.kind is FollowKind.FRAME and event.received is not None:
                image, info = event.received
                print(json.dumps({"sequence": info.sequence, "missed": event.missed, "counter": counter_of(image),
                                  "shared_at": info.timestamp, "received_at": time.time(), "tags": info.tags,
                                  "described": described(image, info)}), flush=True)
            elif event.kind is FollowKind.GONE:
                print(json.dumps({"gone": True}), flush=True)


def describe(key: str) -> int:
    try:
        with Receiver(key) as receiver:
            image, info = receiver.receive()
    except NotSharedError:
        return 3
    print(json.dumps(described(image, info)), flush=True)
    return 0


if __name__ == "__main__":
    verb, key, *rest = sys.argv[1:]
    if verb == "share":
        share(key)
    elif verb == "stream":
        stream(key, int(rest[0]), float(rest[1]), int(rest[2]), int(rest[3]))
    elif verb == "watch":
        watch(key)
    elif verb == "describe":
        sys.exit(describe(key))
    else:
        sys.exit(f"unknown verb {verb!r}; cases: {', '.join(CASES)}")
