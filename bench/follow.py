"""Follow-mode transport: frames per second and latency for 1920x1080 RGBA, and idle CPU.

A sender process shares frames as fast as it can (and, in a second run, at a fixed rate); this process
follows the key with the new-image signal and measures, per frame received, the latency from the
publish (the image's timestamp) to the receiver holding the Image or array. Two transports: Pillow
images (share() -> follow()), and numpy frames written in full through frame() and followed as borrowed
arrays (receive_array_new(borrow=True)). Every share is either delivered or counted as missed; the
table says so. Printed beside a memory copy of one frame measured in the same run. Then an idle
follower's CPU use over 10 s.

    .venv/bin/python bench/follow.py [--seconds 5] [--size 1920x1080]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imgshare.following import FollowKind, follow  # noqa: E402
from imgshare.ipc import Receiver  # noqa: E402
from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

SENDER = r"""
import os, sys, time
from PIL import Image
from imgshare.ipc import Sender
key, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, seconds = float(sys.argv[4]), float(sys.argv[5])
frames = [Image.frombytes("RGBA", (width, height), os.urandom(width * height * 4)) for _ in range(2)]
with Sender(key) as sender:
    sender.share(frames[0])
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        sender.share(frames[n % 2])
        n += 1
        if rate:
            time.sleep(max(0.0, 1 / rate - 0.0005))
    print(n, flush=True)
    sys.stdin.readline()
"""


def run(key: str, size: tuple[int, int], rate: float, seconds: float, verify: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sender = subprocess.Popen([sys.executable, "-c", SENDER, key, str(size[0]), str(size[1]), str(rate),
                               str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=env)
    assert sender.stdout.readline().strip() == "ready"
    stop = threading.Event()
    latencies, received = [], 0
    with Receiver(key) as receiver:
        stream = follow(receiver, stop, verify=verify)
        next(stream)
        sender.stdin.write("go\n")
        sender.stdin.flush()
        started = time.monotonic()
        threading.Timer(seconds, stop.set).start()
        last_frame = started
        for event in stream:
            if event.kind is FollowKind.FRAME:
                received += 1
                last_frame = time.monotonic()
                latencies.append(time.time() - event.info.timestamp)
        elapsed = max(1e-9, min(seconds, last_frame - started))
    shared = int(sender.stdout.readline())
    sender.stdin.write("bye\n")
    sender.stdin.flush()
    sender.wait(30)
    latencies.sort()
    return {"shared_fps": shared / seconds, "received_fps": received / elapsed,
            "latency_median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "latency_p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan")}


ARRAY_SENDER = r"""
import sys, time
import numpy as np
from imgshare.ipc import Sender
key, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seconds, checksum = float(sys.argv[5]), sys.argv[6] == "1"
rng = np.random.default_rng(1)
frames = [rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8) for _ in range(2)]
with Sender(key, checksum=checksum) as sender:
    sender.share(frames[0])
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        with sender.frame(width, height, "RGBA") as pixels:
            np.copyto(pixels, frames[n % 2])  # every frame written in full
        n += 1
    print(sender.sequence - 1, flush=True)
    sys.stdin.readline()
"""


def run_arrays(key: str, size: tuple[int, int], seconds: float, verify: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sender = subprocess.Popen([sys.executable, "-c", ARRAY_SENDER, key, str(size[0]), str(size[1]), "0",
                               str(seconds), str(int(verify))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    assert sender.stdout.readline().strip() == "ready"
    latencies, received, missed = [], 0, 0
    with Receiver(key) as receiver:
        array, last = receiver.receive_array(borrow=True)
        first = last.sequence
        sender.stdin.write("go\n")
        sender.stdin.flush()
        started = time.monotonic()
        last_frame = started
        while time.monotonic() - started < seconds + 1:
            got = receiver.receive_array_new(last, 0.5, borrow=True, verify=verify)
            if got is None:
                continue
            arrived = time.time()
            array, info = got  # the previous borrow ends here
            latencies.append(arrived - info.timestamp)
            missed += info.sequence - last.sequence - 1
            received += 1
            last, last_frame = info, time.monotonic()
        del array
        elapsed = max(1e-9, min(seconds, last_frame - started))
    shared = int(sender.stdout.readline())
    sender.stdin.write("bye\n")
    sender.stdin.flush()
    sender.wait(30)
    latencies.sort()
    return {"shared_fps": shared / seconds, "received_fps": received / elapsed,
            "accounted": received + missed == last.sequence - first == shared,
            "missed": missed,
            "latency_median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "latency_p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan")}


IDLE = r"""
import sys, threading, time
from imgshare.following import follow
from imgshare.ipc import Receiver
stop = threading.Event()
with Receiver(sys.argv[1]) as receiver:
    stream = follow(receiver, stop)
    next(stream)
    cpu = time.process_time(); wall = time.monotonic()
    threading.Timer(float(sys.argv[2]), stop.set).start()
    for _ in stream:
        pass
    print(time.process_time() - cpu, time.monotonic() - wall)
"""


def idle_cpu(key: str, seconds: float) -> float:
    from PIL import Image

    from imgshare.ipc import Sender
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with Sender(key) as sender:
        sender.share(Image.new("RGBA", (1920, 1080)))
        out = subprocess.run([sys.executable, "-c", IDLE, key, str(seconds)], capture_output=True,
                             text=True, env=env, timeout=seconds + 60).stdout.split()
    cpu, wall = float(out[0]), float(out[1])
    return 100 * cpu / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    frame = os.urandom(width * height * 4)
    target = bytearray(len(frame))
    copies = []
    for _ in range(20):
        start = time.perf_counter()
        memoryview(target)[:] = frame
        copies.append(time.perf_counter() - start)
    copy_ms = statistics.median(copies) * 1000
    print(f"{width}x{height} RGBA, {args.seconds:g} s per run; one memory copy of a frame: {copy_ms:.2f} ms "
          f"(= {1000 / copy_ms:.0f} copies/s)")
    print(f"{'run':<52}{'shared/s':>10}{'received/s':>12}{'latency p50':>13}{'p95':>9}  every share "
          "delivered or counted missed")
    runs = [("Pillow, as fast as possible, no checksum", "pillow", 0, False),
            ("Pillow, as fast as possible, verified", "pillow", 0, True),
            ("Pillow, 60 fps sender, verified", "pillow", 60, True),
            ("numpy frame() -> borrowed arrays, no checksum", "arrays", 0, False),
            ("numpy frame() -> borrowed arrays, verified", "arrays", 0, True)]
    for label, transport, rate, verify in runs:
        key = fresh_key("bench-follow")
        try:
            if transport == "pillow":
                r = run(key, (width, height), rate, args.seconds, verify)
            else:
                r = run_arrays(key, (width, height), args.seconds, verify)
        finally:
            remove_made_up_key(key)
        accounted = "" if "accounted" not in r else f"  {'yes' if r['accounted'] else 'NO'} ({r['missed']} missed)"
        print(f"{label:<52}{r['shared_fps']:>10.0f}{r['received_fps']:>12.0f}"
              f"{r['latency_median_ms']:>11.2f}ms{r['latency_p95_ms']:>7.2f}ms{accounted}")
    key = fresh_key("bench-idle")
    try:
        print(f"idle follower CPU over 10 s: {idle_cpu(key, 10):.3f} % of one core")
    finally:
        remove_made_up_key(key)


if __name__ == "__main__":
    main()
