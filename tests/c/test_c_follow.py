"""Following a key across languages: a C follower keeps up with a Python sender and counts what it
missed; a Python follower keeps up with a C sender."""

from __future__ import annotations

import threading

import numpy as np

from imgshare.following import FollowKind, follow
from imgshare.ipc import Receiver, Sender
from tests.c.images import follow_pattern
from tests.ipc_cleanup import objects_of

WIDTH, HEIGHT = 64, 48


def frame(sequence: int, channels: int = 4) -> np.ndarray:
    return np.frombuffer(follow_pattern(sequence, WIDTH * HEIGHT * channels), np.uint8).reshape(HEIGHT, WIDTH, channels)


def parse(line: str) -> tuple[int, int, int]:
    _, sequence, missed, good = line.split()
    return int(sequence), int(missed), int(good)


def test_c_follower_reports_exactly_the_shares_it_missed(c_build, start_c, key):
    follower = start_c(c_build.program("tool"), "follow", key, "3", "20", "--step")
    follower.expect("ready")
    with Sender(key) as sender:
        sender.share(frame(1))
        assert parse(follower.expect("frame")) == (1, 0, 1)
        for sequence in (2, 3, 4):  # three shares while the follower is not looking
            sender.share(frame(sequence))
        follower.send("next\n")
        assert parse(follower.expect("frame")) == (4, 2, 1)  # the newest, and two missed
        sender.share(frame(5))
        follower.send("next\n")
        assert parse(follower.expect("frame")) == (5, 0, 1)
        assert follower.finish() == 0


def test_c_follower_keeps_up_with_a_python_sender(c_build, start_c, key):
    last = 300
    for borrow in ([], ["--borrow"]):
        follower = start_c(c_build.program("tool"), "follow", key, "100000", "20", "--until", str(last), *borrow)
        follower.expect("ready")
        with Sender(key) as sender:
            for sequence in range(1, last + 1):
                assert sender.share(frame(sequence)) == sequence
            frames = []
            while not frames or frames[-1][0] < last:
                frames.append(parse(follower.expect("frame")))
        assert follower.finish() == 0
        sequences = [s for s, _, _ in frames]
        assert sequences == sorted(set(sequences)) and sequences[-1] == last
        assert all(good == 1 for _, _, good in frames)  # every image whole, never torn
        # every share was either delivered or counted as missed
        assert sequences[0] - 1 + sum(1 + missed for _, missed, _ in frames) == last
        for (before, _, _), (after, missed, _) in zip(frames, frames[1:], strict=False):
            assert missed == after - before - 1


def test_python_follower_keeps_up_with_a_c_sender(c_build, start_c, key):
    last = 200
    stop = threading.Event()
    with Receiver(key) as receiver:
        streamer = start_c(c_build.program("tool"), "stream", key, "RGBA", WIDTH, HEIGHT, last, "--frame")
        delivered, accounted = [], 0
        for event in follow(receiver, stop):
            assert event.kind is FollowKind.FRAME, event
            assert event.received is not None
            image, info = event.received
            assert image.tobytes() == follow_pattern(info.sequence, WIDTH * HEIGHT * 4)
            accounted += 1 + event.missed
            delivered.append(info.sequence)
            if info.sequence == last:
                break
        stop.set()
    assert streamer.expect("done") == f"done {last}"
    assert delivered[0] - 1 + accounted == last
    assert streamer.finish() == 0
    assert objects_of(key) == []


def test_python_follower_sees_a_c_sender_stop(c_build, start_c, key):
    stop = threading.Event()
    streamer = start_c(c_build.program("tool"), "stream", key, "L", 7, 3, 2)
    streamer.expect("done")
    kinds = []
    with Receiver(key) as receiver:
        for event in follow(receiver, stop):
            kinds.append(event.kind)
            if event.kind is FollowKind.FRAME:
                assert streamer.finish() == 0  # the sender closes: removes everything, waking followers
            else:
                break
    assert kinds == [FollowKind.FRAME, FollowKind.GONE]
