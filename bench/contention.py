"""Contention: the sender's share time with 4 readers copying in a loop, against its time with none.

Readers pin a slot only while they copy and hold the key's lock only to read the header and pin, so
the sender never waits for their copies: the ratio should stay near 1 on a machine with cores to spare.
With fewer cores than readers, 4 busy readers also take CPU time from the sender, which the wall-clock
ratio does not hide; so the time the sender spends waiting for the key's lock is printed too (that is
the part the protocol decides). Printed beside a memory copy of the same bytes measured in the same run.

    .venv/bin/python bench/contention.py [--seconds 3] [--size 1920x1080] [--readers 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from imgshare.ipc import Sender  # noqa: E402
from imgshare.ipc.lock import KeyLock  # noqa: E402
from tests.ipc_cleanup import all_sysv_keys, fresh_key, remove_objects_at  # noqa: E402

READER = r"""
import sys
import numpy as np
from imgshare.ipc import Receiver
key, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = np.empty((height, width, 4), np.uint8)
reads = 0
with Receiver(key) as receiver:
    print("ready", flush=True)
    while not sys.stdin.closed:
        receiver.receive_array(out=out)
        reads += 1
        if reads % 50 == 0 and sys.stdin in __import__("select").select([sys.stdin], [], [], 0)[0]:
            break
print(reads, flush=True)
"""


LOCK_WAITS: list[float] = []


def timing_lock_waits() -> None:
    """Record how long each KeyLock.acquire of this process takes (the sender's lock waits)."""
    real = KeyLock.acquire

    def acquire(self: KeyLock, timeout: float) -> None:
        start = time.perf_counter()
        real(self, timeout)
        LOCK_WAITS.append(time.perf_counter() - start)

    KeyLock.acquire = acquire  # type: ignore[method-assign,assignment]  # the timed wrapper, for this run only


def share_times(sender: Sender, frames: list[np.ndarray], seconds: float) -> list[float]:
    LOCK_WAITS.clear()
    samples = []
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        start = time.perf_counter()
        sender.share(frames[n % 2])
        samples.append(time.perf_counter() - start)
        n += 1
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8) for _ in range(2)]
    target = np.empty_like(frames[0])
    copies = []
    for _ in range(30):
        start = time.perf_counter()
        np.copyto(target, frames[0])
        copies.append(time.perf_counter() - start)
    copy_ms = statistics.median(copies) * 1000
    key = fresh_key("bench-contention")
    readers: list[subprocess.Popen] = []
    try:
        with Sender(key) as sender:
            for _ in range(6):
                sender.share(frames[0])  # fault the slots in
            timing_lock_waits()
            alone = statistics.median(share_times(sender, frames, args.seconds)) * 1000
            waits_alone = sorted(LOCK_WAITS)
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            readers = [subprocess.Popen([sys.executable, "-c", READER, key, str(height), str(width)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
                       for _ in range(args.readers)]
            for reader in readers:
                assert reader.stdout.readline().strip() == "ready"
            busy = statistics.median(share_times(sender, frames, args.seconds)) * 1000
            waits_busy = sorted(LOCK_WAITS)
            for reader in readers:
                reader.stdin.write("stop\n")
                reader.stdin.flush()
            reads = [int(reader.stdout.readline()) for reader in readers]
    finally:
        for reader in readers:
            reader.kill()
            reader.wait()
        for sysv in all_sysv_keys(key):
            remove_objects_at(sysv)
    print(f"{width}x{height} RGBA; memory copy of a frame {copy_ms:.2f} ms; load average {os.getloadavg()[0]:.1f}")
    print(f"sender share() median alone:            {alone:7.2f} ms ({alone / copy_ms:.2f}x the copy)")
    print(f"sender share() median with {args.readers} readers:   {busy:7.2f} ms ({busy / copy_ms:.2f}x the copy); "
          f"ratio to alone {busy / alone:.2f}x; reader copies {sum(reads)}")

    def waits(samples: list[float]) -> str:
        if not samples:
            return "none"
        p95 = samples[int(len(samples) * 0.95)]
        return f"median {statistics.median(samples) * 1e6:.0f} us, p95 {p95 * 1e6:.0f} us"

    print(f"sender's waits for the key's lock, alone: {waits(waits_alone)}; with {args.readers} readers: "
          f"{waits(waits_busy)}")


if __name__ == "__main__":
    main()
