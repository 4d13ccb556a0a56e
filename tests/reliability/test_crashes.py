"""Guarantee: a process killed at any moment (SIGKILL) never leaves torn pixels, a hang, or a key that
cannot be reused. Each round forks a fresh process, so a kill can land anywhere in a share or a read."""

import os
import random
import signal
import time

import pytest

from imgshare.ipc import ImgShareError, KeyInUseError, LockTimeoutError, Receiver, Sender
from tests.images import digest, make_image

pytestmark = pytest.mark.slow

ROUNDS = 500
# Large enough that a kill often lands inside the copy; sizes change so segments are replaced too.
IMAGES = [make_image("RGBA", (1200, 800), 1), make_image("RGB", (1601, 999), 2),
          make_image("RGBA", (640, 480), 3), make_image("L", (2000, 1200), 4)]
DIGESTS = {digest(image) for image in IMAGES}


def fork_sharing_forever(key: str) -> int:
    pid = os.fork()
    if pid == 0:  # child: share in a loop until killed; never return into pytest
        try:
            sender = Sender(key, lock_timeout=10)
            i = 0
            while True:
                sender.share(IMAGES[i % len(IMAGES)])
                i += 1
        except BaseException:
            os._exit(3)
    return pid


def kill_and_reap(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_sender_killed_at_random_moments_500_rounds(key):
    rng = random.Random(5)
    outcomes = {"complete": 0, "NotSharedError": 0, "IncompleteShareError": 0, "damaged header": 0}
    started = time.monotonic()
    for _ in range(ROUNDS):
        pid = fork_sharing_forever(key)
        time.sleep(rng.uniform(0, 0.03))
        kill_and_reap(pid)
        with Receiver(key) as receiver:
            try:
                image, info = receiver.receive(timeout=5)
            except ImgShareError as exc:
                # Clear errors only: killed before its first share, or while writing (the header says
                # so), or, rarely, inside the 4 KiB header write itself (its CRC says so).
                kind = type(exc).__name__
                if kind == "CorruptSegmentError":
                    assert "header checksum" in str(exc), exc
                    kind = "damaged header"
                assert kind in outcomes, exc
                outcomes[kind] += 1
                continue
        assert digest(image) in DIGESTS, "torn or unknown image"
        assert not info.sender_alive
        outcomes["complete"] += 1
    print(f"\n{ROUNDS} kills in {time.monotonic() - started:.1f} s: {outcomes}")
    # The child shares back to back, so most kills land mid-write: those give the clear
    # "died while writing" error (exit 4), never torn pixels.
    assert outcomes["complete"] > 0 and outcomes["IncompleteShareError"] > 0
    with Sender(key) as successor:  # the key is reclaimed after all that
        successor.share(IMAGES[0])
        assert digest(Receiver(key).receive()[0]) == digest(IMAGES[0])


def test_receiver_killed_while_holding_the_lock_frees_it(key):
    with Sender(key) as sender:
        sender.share(IMAGES[0])
        for _ in range(50):
            pid = os.fork()
            if pid == 0:
                try:
                    with Receiver(key) as receiver:
                        while True:
                            receiver.receive(timeout=10)
                except BaseException:
                    os._exit(3)
            time.sleep(random.uniform(0, 0.02))
            kill_and_reap(pid)
            sender.share(IMAGES[1])  # would time out if the dead reader still held the lock
        assert digest(Receiver(key).receive(timeout=2)[0]) == digest(IMAGES[1])


def test_a_live_sender_is_never_taken_over_by_mistake(key):
    pid = fork_sharing_forever(key)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                Receiver(key).info()
                break
            except ImgShareError:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        with pytest.raises((KeyInUseError, LockTimeoutError)):
            Sender(key, lock_timeout=2).share(IMAGES[0])
    finally:
        kill_and_reap(pid)
