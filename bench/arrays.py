"""One-way transfer of numpy frames, sender's call -> receiver's array in another process.

Paths (3840x2160 RGBA by default), each beside a memory copy of the same bytes (np.copyto between two
warm arrays) measured in the same run, as a ratio:

* frame() -> receive_array(borrow=True), checksum computed and verified; and with checksums off at
  both ends (Sender(checksum=False), verify=False). Timed from leaving the frame() block.
* share(array) -> receive_array(out=...), verified and not.
* share(array) -> receive_array() (a new array each time: page faults on fresh memory), verified.

    .venv/bin/python bench/arrays.py [--repeat 30] [--size 3840x2160]
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
from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

WARM_UP = 4  # the first shares fault in the three slots on both sides

# The receiving side, a separate process following the key: one CLOCK_MONOTONIC timestamp per frame.
CHILD = r"""
import sys, time
import numpy as np
from imgshare.ipc import Receiver
key, height, width, how, verify = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
receiver = Receiver(key)
out = np.zeros((height, width, 4), np.uint8)
last = None
print("ready", flush=True)
while True:
    # Sleep on the new-image signal, as a follower does; the clock stops once the array is usable.
    got = receiver.receive_array_new(last, 10.0, verify=verify, borrow=how == "borrow",
                                     out=out if how == "out" else None)
    done = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    if got is None:
        break
    held, last = got  # a borrow lasts until the next one replaces it: its pin goes then
    print(done, flush=True)
"""


def now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def memory_copy_ms(frame: np.ndarray, repeat: int) -> float:
    target = np.empty_like(frame)
    np.copyto(target, frame)  # fault in the target first
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        np.copyto(target, frame)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def shared_memory_copy_ms(frame: np.ndarray, repeat: int) -> float:
    """The same copy into a System V segment: its 4 KiB pages (shared memory gets no huge pages here,
    numpy's own arrays do) make this the floor for any copy into or out of a slot."""
    import sysv_ipc
    shm = sysv_ipc.SharedMemory(None, sysv_ipc.IPC_CREX, mode=0o600, size=frame.nbytes)
    try:
        target = np.frombuffer(memoryview(shm), dtype=np.uint8).reshape(frame.shape)
        np.copyto(target, frame)
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            np.copyto(target, frame)
            samples.append(time.perf_counter() - start)
        del target
    finally:
        shm.remove()
        shm.detach()
    return statistics.median(samples) * 1000


def transfer_ms(frames: list[np.ndarray], repeat: int, *, use_frame: bool, how: str, checksum: bool) -> float:
    key = fresh_key("bench")
    height, width = frames[0].shape[:2]
    samples = []
    try:
        with Sender(key, checksum=checksum) as sender:
            sender.share(frames[0])
            child = subprocess.Popen([sys.executable, "-c", CHILD, key, str(height), str(width), how,
                                      str(int(checksum))], stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)))
            assert child.stdout.readline().strip() == "ready"
            child.stdout.readline()  # it took the first share
            for i in range(repeat + WARM_UP):
                source = frames[i % len(frames)]
                if use_frame:
                    with sender.frame(width, height, "RGBA") as pixels:
                        np.copyto(pixels, source)  # what a camera or renderer does: not timed
                        start = now_ns()  # timed from leaving the block
                else:
                    start = now_ns()
                    sender.share(source)
                done = int(child.stdout.readline())  # the receiver holds the array
                if i >= WARM_UP:
                    samples.append((done - start) / 1e6)
        child.wait(30)  # the sender closed: the follower's wait ends
    finally:
        remove_made_up_key(key)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--size", default="3840x2160")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8) for _ in range(2)]
    copy_ms = memory_copy_ms(frames[0], args.repeat)
    rows = [("memory copy of the same bytes (reference)", copy_ms),
            ("  the same copy into shared memory (the floor)", shared_memory_copy_ms(frames[0], args.repeat))]
    for label, use_frame, how, checksum in [
        ("frame() -> receive_array(borrow=True), verified", True, "borrow", True),
        ("frame() -> receive_array(borrow=True), no checksum", True, "borrow", False),
        ("share(array) -> receive_array(out=), verified", False, "out", True),
        ("share(array) -> receive_array(out=), no checksum", False, "out", False),
        ("share(array) -> receive_array() new array, verified", False, "own", True),
    ]:
        rows.append((label, transfer_ms(frames, args.repeat, use_frame=use_frame, how=how, checksum=checksum)))
    print(f"{width}x{height} RGBA ({width * height * 4 / 1e6:.1f} MB), median of {args.repeat}; "
          f"ratio = time / memory copy; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, ms in rows:
        print(f"{label:<54}{ms:>9.2f} ms{ms / copy_ms:>8.2f}x")


if __name__ == "__main__":
    main()
