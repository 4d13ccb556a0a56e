"""The bridge's targets (issue 21), two hosts simulated by two IPC namespaces over loopback.

Each figure is printed beside a reference measured in the same run: a bare pyzmq PUSH/PULL of the same
bytes between two processes (what ZeroMQ alone does on this machine, with no shared memory, no
checksums, no republishing). The sender writes each frame with frame() (a counter in its first bytes,
the rest left as it is) and shares it with its XXH3, so what is timed is the bridge, not the sender's
own pixel work. Latency is from the share on host A (its time, which the image carries in its tags
across the bridge: the share time on host B is host B's own) to the image being readable on host B
(a reader there holds it, borrowed, unverified: the puller verified it).

    .venv/bin/python bench/bridge.py [--seconds 10] [--quick]

Targets: 1080p RGB at 60 frames/s: >= 99% delivered, p50 <= 8 ms, p95 <= 15 ms; 4K RGB at 30:
>= 98%, p95 <= 40 ms; 1080p RGB as fast as it goes: >= 0.7x the bare PUSH/PULL; the puller stopped
(SIGSTOP) for 3 s: the sender keeps its 60 frames/s and the first image after SIGCONT is at most
150 ms old (memory of both bridge processes printed before, during and after); either side killed
and restarted: images again within 1.0 s.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bridge.hosts import Host, Proc, free_port  # noqa: E402

SENDER = r"""
import json, sys, time
import numpy as np
from imgshare.ipc import Sender
key, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, seconds = float(sys.argv[4]), float(sys.argv[5])
with Sender(key) as sender:
    with sender.frame(width, height, "RGB") as pixels:
        pixels[:] = 90
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    n = 0
    per_second = []
    while time.monotonic() - start < seconds:
        with sender.frame(width, height, "RGB", tags={"shared_at": time.time()}) as pixels:
            pixels.reshape(-1)[:8] = np.frombuffer(n.to_bytes(8, "little"), np.uint8)
        n += 1
        second = int(time.monotonic() - start)
        while len(per_second) <= second:
            per_second.append(0)
        per_second[second] += 1
        if rate:
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    print(json.dumps({"shared": n, "per_second": per_second}), flush=True)
    sys.stdin.readline()
"""

READER = r"""
import json, sys, time
from imgshare.ipc import Receiver
key = sys.argv[1]
seen = []  # (received at, shared at, counter, sequence)
with Receiver(key) as receiver:
    array, last = receiver.receive_array(wait=60, borrow=True, verify=False)
    print("ready", flush=True)
    import select
    while not select.select([sys.stdin], [], [], 0)[0]:
        got = receiver.receive_array_new(last, 0.2, borrow=True, verify=False)
        if got is None:
            continue
        now = time.time()
        array, last = got
        seen.append((now, last.tags.get("shared_at", last.timestamp),
                     int.from_bytes(array.reshape(-1)[:8].tobytes(), "little"), last.sequence))
    del array
print(json.dumps(seen), flush=True)
"""

PUSH = r"""
import struct, sys, time, zmq
endpoint, size, count, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
context = zmq.Context()
push = context.socket(zmq.PUSH)
push.sndhwm = 4
push.bind(endpoint)
payload = bytearray(size)
print("ready", flush=True)
sys.stdin.readline()
start = time.monotonic()
for i in range(count):
    payload[:8] = struct.pack("<d", time.time())
    push.send(payload, copy=False)
    if rate:
        delay = start + (i + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
sys.stdin.readline()
"""

PULL = r"""
import json, struct, sys, time, zmq
endpoint, count = sys.argv[1], int(sys.argv[2])
context = zmq.Context()
pull = context.socket(zmq.PULL)
pull.rcvhwm = 4
pull.connect(endpoint)
print("ready", flush=True)
first = pull.recv(copy=False)
start = time.monotonic()
latencies = []
for _ in range(count - 1):
    frame = pull.recv(copy=False)
    latencies.append(time.time() - struct.unpack_from("<d", frame.buffer)[0])
latencies.sort()
print(json.dumps({"fps": (count - 1) / (time.monotonic() - start), "p50": latencies[len(latencies) // 2] * 1000,
                  "p95": latencies[int(len(latencies) * 0.95)] * 1000}), flush=True)
"""


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


class Bridge:
    """Host A with a sender and a server, host B with a puller and a reader, on a fresh port."""

    def __init__(self, width: int, height: int, rate: float, seconds: float, compress: str = "none"):
        self.a, self.b = Host("host A"), Host("host B")
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.size, self.rate, self.seconds, self.compress = (width, height), rate, seconds, compress
        self.sender = self.a.start("-c", SENDER, "bench", str(width), str(height), str(rate), str(seconds),
                                   name="sender")
        self.sender.wait_for("ready", 60)
        self.server = self.serve()
        self.puller = self.pull()
        self.reader = self.b.start("-c", READER, "bench", name="reader")
        self.reader.wait_for("ready", 60)

    def serve(self) -> Proc:
        server = self.a.imgshare("bridge", "serve", "--key", "bench", "--listen", self.address,
                                 "--compress", self.compress)
        server.wait_for("serving", 60)
        return server

    def pull(self) -> Proc:
        return self.b.imgshare("bridge", "pull", f"{self.address}/bench")

    def go(self) -> None:
        self.sender.write("go")

    def finish(self) -> tuple[dict, list]:
        shared = self.sender.json_line(self.seconds + 120)
        self.reader.write("stop")
        seen = json.loads(self.reader.wait_for("[", 120))
        return shared, seen

    def close(self) -> None:
        self.a.close()
        self.b.close()


def stream(width: int, height: int, rate: float, seconds: float) -> dict:
    bridge = Bridge(width, height, rate, seconds)
    try:
        bridge.go()
        shared, seen = bridge.finish()
    finally:
        bridge.close()
    fresh = [s for s in seen if s[2] >= 1]  # the images shared during the run (counter 0 is the set-up)
    latencies = [(received - at) * 1000 for received, at, _, _ in fresh]
    span = (fresh[-1][0] - fresh[0][0]) if len(fresh) > 1 else float("nan")
    return {"shared": shared["shared"], "delivered": len({s[2] for s in fresh}),
            "fps": (len(fresh) - 1) / span if len(fresh) > 1 else 0.0,
            "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
            "sender_fps": shared["shared"] / seconds}


def bare_push_pull(size: int, count: int, rate: float = 0) -> dict:
    """The reference: frames/s (rate 0: as fast as it goes) and latency of a bare pyzmq PUSH/PULL of
    size-byte messages between two processes."""
    host = Host("bare")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    try:
        push = host.start("-c", PUSH, endpoint, str(size), str(count), str(rate), name="push")
        push.wait_for("ready", 60)
        pull = host.start("-c", PULL, endpoint, str(count), name="pull")
        pull.wait_for("ready", 60)
        push.write("go")
        result = pull.json_line(600)
        push.write("done")
        return result
    finally:
        host.close()


def stall(seconds_stopped: float = 3.0) -> dict:
    bridge = Bridge(1920, 1080, 60, seconds_stopped + 6)
    try:
        bridge.go()
        time.sleep(2)  # flowing before the stop (a benchmark's own pace, not a synchronisation)
        before = rss_mb(bridge.server.pid), rss_mb(bridge.puller.pid)
        bridge.puller.signal(signal.SIGSTOP)
        time.sleep(seconds_stopped - 0.1)
        during = rss_mb(bridge.server.pid), rss_mb(bridge.puller.pid)
        time.sleep(0.1)
        resumed_at = time.time()
        bridge.puller.signal(signal.SIGCONT)
        shared, seen = bridge.finish()
        after = rss_mb(bridge.server.pid), rss_mb(bridge.puller.pid)
    finally:
        bridge.close()
    later = [s for s in seen if s[0] > resumed_at]
    first_age = (later[0][0] - later[0][1]) * 1000 if later else float("nan")
    per_second = shared["per_second"]
    stalled = per_second[2:2 + int(seconds_stopped)]
    return {"first_age_ms": first_age, "sender_fps_while_stopped": statistics.mean(stalled) if stalled else 0,
            "rss_before": before, "rss_during": during, "rss_after": after}


def restart(which: str) -> tuple[float, float]:
    """Seconds from the restarted side's start to the first new image on host B, and to the moment it
    was up (listening, or its first line): the reference, the program's own start-up."""
    bridge = Bridge(640, 480, 30, 12)
    try:
        bridge.go()
        time.sleep(2)
        process = bridge.server if which == "server" else bridge.puller
        process.signal(signal.SIGKILL)
        process.popen.wait()
        time.sleep(1)
        started = time.time()
        if which == "server":
            bridge.server = bridge.serve()  # returns once it listens
        else:
            bridge.puller = bridge.pull()
            bridge.puller.wait_for("pulling", 60)
        up = time.time() - started
        shared, seen = bridge.finish()
    finally:
        bridge.close()
    after = [s for s in seen if s[0] > started]
    return (after[0][0] - started if after else float("nan")), up


def compression() -> list[str]:
    import numpy as np
    import zstandard
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:1080, 0:1920]
    smooth = np.stack([(x / 8 + 20 * np.sin(y / 30)) % 256, (y / 5 + x / 13) % 256, (x * y / 5000) % 256], -1)
    photo = (smooth + rng.normal(0, 1.5, smooth.shape)).clip(0, 255).astype(np.uint8).tobytes()
    screen = np.zeros((1080, 1920, 3), np.uint8)
    screen[100:300, 200:900] = (200, 30, 30)
    screen[::40] = 255
    lines = []
    coders: list[tuple[str, Any, Any]] = [
        ("zstd level 1", zstandard.ZstdCompressor(level=1).compress, zstandard.ZstdDecompressor().decompress)]
    try:
        # optional, for the comparison only; imported by name so mypy needs neither it nor its stubs
        lz4 = importlib.import_module("lz4.block")
        coders.append(("lz4", lambda b: lz4.compress(b, store_size=True), lz4.decompress))
    except ImportError:
        lines.append("  (lz4 not installed: pip install lz4 to compare)")
    copy = np.empty(len(photo), np.uint8)
    t = time.perf_counter()
    copy[:] = np.frombuffer(photo, np.uint8)
    memcpy = len(photo) / (time.perf_counter() - t) / 1e6
    lines.append(f"  reference: memory copy of the same 1080p frame {memcpy:.0f} MB/s")
    for name, data in (("camera-like (smooth + noise)", photo), ("screen-like (flat areas)", screen.tobytes())):
        for coder, pack, unpack in coders:
            t = time.perf_counter()
            packed = pack(data)
            packing = time.perf_counter() - t
            t = time.perf_counter()
            unpack(packed)
            unpacking = time.perf_counter() - t
            lines.append(f"  {name:30} {coder:13} ratio {len(data) / len(packed):8.2f}  compress "
                         f"{len(data) / packing / 1e6:6.0f} MB/s  decompress {len(data) / unpacking / 1e6:6.0f} MB/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} cores")
    size = 1920 * 1080 * 3
    bare = bare_push_pull(size, 600)["fps"]
    print(f"reference: bare pyzmq PUSH/PULL of 1080p RGB ({size} bytes) between two processes: {bare:.0f} frames/s")
    fast = stream(1920, 1080, 0, args.seconds)
    print(f"1080p RGB as fast as it goes: {fast['fps']:.0f} frames/s on host B = {fast['fps'] / bare:.2f}x the bare "
          f"PUSH/PULL (target >= 0.7x); the sender shared {fast['sender_fps']:.0f}/s, latency p50 "
          f"{fast['p50']:.1f} ms")
    for (width, height, rate, share_target, p50_target, p95_target) in ((1920, 1080, 60, 99, 8, 15),
                                                                       (3840, 2160, 30, 98, None, 40)):
        reference = bare_push_pull(width * height * 3, int(rate * args.seconds), rate)
        print(f"reference: bare PUSH/PULL of {width}x{height} RGB at {rate}/s: latency p50 {reference['p50']:.1f} ms, "
              f"p95 {reference['p95']:.1f} ms")
        r = stream(width, height, rate, args.seconds)
        delivered = 100 * r["delivered"] / max(1, r["shared"])
        print(f"{width}x{height} RGB at {rate}/s for {args.seconds:g} s: {r['delivered']}/{r['shared']} delivered "
              f"({delivered:.1f}%, target >= {share_target}%), latency p50 {r['p50']:.1f} ms"
              + (f" (target <= {p50_target})" if p50_target else "")
              + f", p95 {r['p95']:.1f} ms (target <= {p95_target})")
    s = stall()
    print(f"puller stopped 3 s at 1080p60: the sender kept {s['sender_fps_while_stopped']:.1f} frames/s; the first "
          f"image after SIGCONT was {s['first_age_ms']:.0f} ms old (target <= 150); memory (MB, server / puller) "
          f"before {s['rss_before'][0]:.0f}/{s['rss_before'][1]:.0f}, during {s['rss_during'][0]:.0f}/"
          f"{s['rss_during'][1]:.0f}, after {s['rss_after'][0]:.0f}/{s['rss_after'][1]:.0f}")
    for which in ("server", "puller"):
        again, up = restart(which)
        print(f"{which} killed and restarted: images again {again:.2f} s after its start (target <= 1.0); "
              f"reference: its own start-up took {up:.2f} s of that")
    print("compression of one 1920x1080 RGB frame:")
    for line in compression():
        print(line)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
