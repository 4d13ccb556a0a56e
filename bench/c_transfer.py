"""One-way transfer time of a 3840x2160 RGBA image through the C library (clients/c/imgshare.h), beside a
plain memory copy of the same bytes measured in the same run.

Each path runs sender and receiver in separate processes and times one image from the sender's library
call to the receiver holding the verified pixels (CLOCK_MONOTONIC on both sides; the median of --repeat
images after 3 warm-up ones):

* C in place -> C borrow: the sender fills a slot through imgshare_frame_begin() (not timed), then
  imgshare_frame_publish() (hashes the slot, publishes); the receiver imgshare_borrow_new() (wakes on the
  new-image signal, pins the slot, verifies the XXH3). Target: within 1.5x the memory copy.
* C share -> C copy: imgshare_share() from the sender's own buffer (copy and hash) to imgshare_receive_new()
  into the receiver's reused buffer (copy and verify): two copies by nature. Target: within 2.5x.
* C in place -> Python borrowed array: imgshare_frame_publish() to Receiver.receive_array_new(borrow=True)
  (verified), in this process.

Then what readers cost a C sender (protocol 3's readers take no lock; issue 18's target for four
followers): the time of imgshare_share() of a 1920x1080 RGBA image (copy and hash), alone and with 4 C
followers borrowing every image without verifying it and holding it until the next (as a window shows a
frame), median and p95 of --repeat images each. Targets: at most 1.2x (median) and 1.5x (p95) of the
sender alone. On a machine with fewer cores than processes the followers' wake-ups take CPU time from
the sender, which a wall-clock time includes: the load average is printed.

    .venv/bin/python bench/c_transfer.py [--repeat N]
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

from imgshare.ipc import Receiver  # noqa: E402
from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

CLIENT = ROOT / "clients" / "c"
PROGRAM = CLIENT / "build" / "transfer"
WIDTH, HEIGHT = 3840, 2160
LENGTH = WIDTH * HEIGHT * 4
WARM_UP = 3


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(PROGRAM), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def fields(process: subprocess.Popen, word: str) -> tuple[int, float]:
    """(sequence, time) from the next line of process, which must start with word."""
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if not line or line[0] != word:
        raise SystemExit(f"the C program stopped: expected {word!r}, got {line}")
    return int(line[1]), float(line[2])


def go(sender: subprocess.Popen) -> None:
    assert sender.stdin is not None
    sender.stdin.write("go\n")
    sender.stdin.flush()


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=30)


def c_to_c(sending: str, receiving: str, repeat: int) -> list[float]:
    key = fresh_key("bench-c")
    receiver = start("receive", key, receiving, str(repeat + WARM_UP))
    sender = start("send", key, str(WIDTH), str(HEIGHT), sending)
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
        samples = []
        for index in range(repeat + WARM_UP):
            go(sender)
            sent, t0 = fields(sender, "sent")
            got, t1 = fields(receiver, "got")
            if got != sent:
                raise SystemExit(f"the receiver got image {got}, not {sent}")
            if index >= WARM_UP:
                samples.append(t1 - t0)
        return samples
    finally:
        stop(sender, receiver)
        remove_made_up_key(key)


def c_to_python(repeat: int) -> list[float]:
    key = fresh_key("bench-c")
    sender = start("send", key, str(WIDTH), str(HEIGHT), "inplace")
    try:
        with Receiver(key) as receiver:
            last = None
            samples = []
            for index in range(repeat + WARM_UP):
                go(sender)
                got = receiver.receive_array_new(last, 30.0, borrow=True)
                t1 = time.clock_gettime(time.CLOCK_MONOTONIC)
                sent, t0 = fields(sender, "sent")
                if got is None or got.info.sequence != sent or got.array[0, 0, 0] != sent & 0xFF:
                    raise SystemExit(f"Python did not get image {sent} whole")
                last = got.info
                del got
                if index >= WARM_UP:
                    samples.append(t1 - t0)
        return samples
    finally:
        stop(sender)
        remove_made_up_key(key)


def share_times(followers: int, repeat: int) -> list[float]:
    """Seconds of each imgshare_share() of a 1080p RGBA image while `followers` C processes borrow every one."""
    key = fresh_key("bench-c")
    readers = [start("receive", key, "hold", str(repeat + WARM_UP)) for _ in range(followers)]
    sender = start("send", key, "1920", "1080", "copy")
    try:
        for reader in readers:
            assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        samples = []
        for index in range(repeat + WARM_UP):
            go(sender)
            assert sender.stdout is not None
            line = sender.stdout.readline().split()
            if not line or line[0] != "sent":
                raise SystemExit(f"the C sender stopped: {line}")
            for reader in readers:  # every follower has the image before the next share
                got, _ = fields(reader, "got")
                if got != int(line[1]):
                    raise SystemExit(f"a follower got image {got}, not {line[1]}")
            if index >= WARM_UP:
                samples.append(float(line[3]) - float(line[2]))
        return samples
    finally:
        stop(sender, *readers)
        remove_made_up_key(key)


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="images timed per path (default 30)")
    args = parser.parse_args()
    subprocess.run(["make", "-C", str(CLIENT), "-j2", "--quiet"], check=True)
    copy = subprocess.run([str(PROGRAM), "memcpy", str(LENGTH), str(args.repeat)], capture_output=True, text=True,
                          check=True)
    copy_s = float(copy.stdout.split()[1])
    rows = [
        ("C in place -> C borrow, verified", c_to_c("inplace", "borrow", args.repeat), 1.5),
        ("C share -> C copy, verified", c_to_c("copy", "copy", args.repeat), 2.5),
        ("C in place -> Python borrowed array, verified", c_to_python(args.repeat), None),
    ]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{WIDTH}x{HEIGHT} RGBA ({LENGTH / 1e6:.1f} MB), one way, median of {args.repeat} "
          f"(load average {load}: others' work on the machine moves these figures)")
    print(f"{'memory copy (memcpy, same run)':48} {copy_s * 1000:8.2f} ms   1.00x")
    for name, samples, target in rows:
        median = statistics.median(samples)
        verdict = "" if target is None else f"  (target {target}x: {'met' if median <= target * copy_s else 'MISSED'})"
        print(f"{name:48} {median * 1000:8.2f} ms {median / copy_s:6.2f}x{verdict}")
    alone, followed = share_times(0, args.repeat), share_times(4, args.repeat)
    print(f"\nimgshare_share() of 1920x1080 RGBA, median / p95 of {args.repeat} (load average "
          f"{', '.join(f'{value:.1f}' for value in os.getloadavg())})")
    print(f"{'sender alone (reference, same run)':48} {statistics.median(alone) * 1000:8.2f} ms "
          f"{p95(alone) * 1000:8.2f} ms")
    for name, statistic, target in (("median", statistics.median, 1.2), ("p95", p95, 1.5)):
        ratio = statistic(followed) / statistic(alone)
        print(f"{'with 4 C followers holding every image, ' + name:48} {statistic(followed) * 1000:8.2f} ms "
              f"{ratio:6.2f}x  (target {target}x: {'met' if ratio <= target else 'MISSED'})")


if __name__ == "__main__":
    main()
