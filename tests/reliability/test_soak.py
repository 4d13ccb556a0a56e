"""Guarantee: thousands of share/receive cycles keep memory and the number of IPC objects flat."""

import time

import pytest

from imgshare.ipc import Receiver, Sender
from tests.images import make_image
from tests.ipc_cleanup import objects_of

pytestmark = pytest.mark.slow

CYCLES = 10_000


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def segments_of_this_process() -> int:
    import os
    with open("/proc/sysvipc/shm") as f:
        names = f.readline().split()
        return sum(1 for line in f if int(dict(zip(names, line.split(), strict=False))["cpid"]) == os.getpid())


def test_soak_share_receive_cycles(key):
    # Sizes change now and then so segments are replaced, and some receives borrow.
    images = [make_image("RGBA", (257, 129), 1), make_image("RGB", (801, 333), 2),
              make_image("L", (64, 48), 3)]
    started = time.monotonic()
    with Sender(key) as sender, Receiver(key) as receiver:
        for i in range(CYCLES):
            if i == 1000:
                baseline_rss, baseline_objects = rss_kib(), len(objects_of(key))
            sender.share(images[(i // 50) % len(images)])
            image, _ = receiver.receive(borrow=(i % 3 == 0))
            del image
        final_rss, final_objects = rss_kib(), len(objects_of(key))
        alive_segments = segments_of_this_process()
    elapsed = time.monotonic() - started
    print(f"\n{CYCLES} cycles in {elapsed:.1f} s; RSS {baseline_rss} -> {final_rss} KiB; "
          f"objects {baseline_objects} -> {final_objects}")
    # A share is a control segment, a semaphore set and one data segment per slot in use (3 slots):
    # never more, however many times the images change size.
    assert baseline_objects <= 5 and final_objects <= 5
    assert alive_segments <= 4
    assert final_rss - baseline_rss < 20 * 1024
    assert objects_of(key) == []
