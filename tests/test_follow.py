"""Live sharing: the new-image signal, follow mode, animations and watched files."""

import os
import threading
import time

from PIL import Image

from imgshare import following
from imgshare.following import FollowKind, follow
from imgshare.imaging import load_image
from imgshare.ipc import Receiver, Sender
from tests.conftest import run_cli, start_cli, wait_until
from tests.images import digest, make_image
from tests.test_lifecycle import python
from tests.test_roundtrip import stop, wait_for_line


def frames(count, size=(160, 90)):
    return [make_image("RGB", size, seed=i) for i in range(count)]


def frame_count(events) -> int:
    return sum(e.kind is FollowKind.FRAME for _, e in events)


def collect(key, until, *, verify=True):
    """Follow key in a thread; returns (events list, stop event, thread)."""
    events, stopper = [], threading.Event()

    def run():
        with Receiver(key) as receiver:
            for event in follow(receiver, stopper, verify=verify):
                events.append((time.monotonic(), event))
                if until(events):
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return events, stopper, thread


def test_slow_sequence_arrives_complete_and_in_order(key):
    images = frames(10)
    with Sender(key) as sender:
        sender.share(images[0])
        events, stopper, thread = collect(key, lambda ev: frame_count(ev) == 10)
        for n, image in enumerate(images[1:], start=1):
            wait_until(lambda n=n: frame_count(events) == n, what=f"frame {n} to be followed")
            sender.share(image)
        thread.join(10)
        stopper.set()
    got = [digest(e.received.image) for _, e in events if e.kind is FollowKind.FRAME]
    assert got == [digest(i) for i in images]
    assert [e.missed for _, e in events] == [0] * 10


def test_fast_sequence_skips_to_the_newest_never_back(key):
    images = frames(6)
    with Sender(key) as sender:
        sender.share(images[0])
        events, stopper, thread = collect(key, lambda ev: False, verify=False)
        for n in range(300):
            sender.share(images[n % 6])
        last_sequence = sender.sequence
        wait_until(lambda: [e.info.sequence for _, e in events if e.kind is FollowKind.FRAME][-1:] == [last_sequence],
                   what="the last share to be followed")
        stopper.set()
        thread.join(5)
    sequences = [e.info.sequence for _, e in events if e.kind is FollowKind.FRAME]
    assert sequences == sorted(set(sequences)), "went backwards or repeated"
    assert sequences[-1] == last_sequence
    assert len(sequences) < 301  # it skipped rather than queueing every frame
    missed = [e.missed for _, e in events if e.kind is FollowKind.FRAME]
    # every share is either delivered or counted as missed, from the first frame followed on
    assert len(sequences) + sum(missed) == last_sequence - sequences[0] + 1


def test_follower_wakes_on_each_share_not_on_a_later_poll(key, monkeypatch):
    """Each share wakes the sleeping follower (the latency figures are bench/follow.py's): with its
    liveness poll an hour apart, only the new-image signal can deliver the frames in time."""
    monkeypatch.setattr(following, "LIVENESS_CHECK_SECONDS", 3600.0)
    with Sender(key) as sender:
        sender.share(make_image("L", (64, 48)))
        events, stopper, thread = collect(key, lambda ev: frame_count(ev) == 6)
        for n in range(1, 6):
            wait_until(lambda n=n: frame_count(events) == n, what=f"frame {n}")
            sender.share(make_image("L", (64, 48), seed=n))
        wait_until(lambda: frame_count(events) == 6, timeout=60, what="frame 6")
        thread.join(30)
        stopper.set()


def test_follow_survives_a_killed_sender_and_a_new_one(key, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    make_image("RGB", seed=1).save(first)
    make_image("RGB", seed=2).save(second)
    victim = start_cli("send", str(first), "--key", key)
    wait_for_line(victim)
    events, stopper, thread = collect(key, lambda ev: frame_count(ev) == 2)
    wait_until(lambda: frame_count(events) == 1, what="the first frame")
    victim.kill()
    victim.wait()
    wait_until(lambda: any(e.kind is FollowKind.GONE for _, e in events), what="the sender to be reported gone")
    successor = start_cli("send", str(second), "--key", key)
    try:
        wait_for_line(successor)
        thread.join(10)
    finally:
        stopper.set()
        stop(successor)
    kinds = [e.kind for _, e in events]
    assert kinds == [FollowKind.FRAME, FollowKind.GONE, FollowKind.FRAME], kinds
    assert digest(events[-1][1].received.image) == digest(make_image("RGB", seed=2))


def test_cli_follow_writes_numbered_files_and_stops_after_count(key, tmp_path):
    out = tmp_path / "frames"
    with Sender(key) as sender:
        sender.share(make_image("RGBA", (50, 40), seed=0))
        follower = start_cli("receive", "--key", key, "--follow", "--count", "4", "-o", str(out))
        lines = [follower.stdout.readline()]
        for n in range(1, 4):  # the follower printed the previous frame's line: it saw that share
            sender.share(make_image("RGBA", (50, 40), seed=n))
            lines.append(follower.stdout.readline())
        assert follower.wait(10) == 0, follower.stderr.read()
    names = sorted(os.listdir(out))  # the frames, and the record of their times (for send FOLDER/)
    assert names == ["000001.png", "000002.png", "000003.png", "000004.png", "imgshare-frames.jsonl"]
    assert all(line.startswith(str(out)) for line in lines)
    assert digest(load_image(out / "000004.png")) == digest(make_image("RGBA", (50, 40), seed=3))


def test_animated_gif_is_played_at_its_own_pace(key, tmp_path):
    path = tmp_path / "anim.gif"
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    gif_frames = [Image.new("RGB", (40, 30), c) for c in colours]
    gif_frames[0].save(path, save_all=True, append_images=gif_frames[1:], duration=80, loop=0)
    sender = start_cli("send", str(path), "--key", key)
    try:
        assert "playing 3 frames" in wait_for_line(sender)
        events, stopper, thread = collect(key, lambda ev: frame_count(ev) >= 8)
        thread.join(10)
        stopper.set()
    finally:
        stop(sender)
    followed = [e for _, e in events if e.kind is FollowKind.FRAME]
    seen = [e.received.image.convert("RGB").getpixel((5, 5)) for e in followed]
    assert len(seen) >= 7 and set(seen) == set(colours)
    # Frames follow each other in the file's order, looping; a follower on a loaded machine may miss
    # some, and then says how many: the first frame is not shared twice, nor any frame skipped unsaid.
    for a, b, event in zip(seen, seen[1:], followed[1:], strict=False):
        assert colours.index(b) == (colours.index(a) + 1 + event.missed) % 3
    times = [t for t, e in events if e.kind is FollowKind.FRAME]
    # about 80 ms a frame; an order of magnitude only (the pacing figures belong to a benchmark)
    assert 0.02 < (times[-1] - times[1]) / (len(times) - 2) < 0.8


def test_watched_file_is_reshared_only_once_it_decodes(key, tmp_path):
    path = tmp_path / "output.png"
    make_image("RGB", (120, 80), seed=1).save(path)
    sender = start_cli("send", str(path), "--key", key, "--watch")
    try:
        wait_for_line(sender)
        full = tmp_path / "next.png"
        make_image("RGB", (120, 80), seed=2).save(full)
        data = full.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # a program half way through writing
        # The watcher says it skipped the half-written file (once it has settled and failed to decode):
        # the condition to wait for, after which the first image must still be the one shared.
        assert "imgshare: warning:" in sender.stderr.readline()
        image, info = Receiver(key).receive()
        assert info.sequence == 1 and digest(image) == digest(make_image("RGB", (120, 80), seed=1))
        path.write_bytes(data)
        assert "again" in sender.stdout.readline()
        image, info = Receiver(key).receive()
        assert info.sequence == 2 and digest(image) == digest(make_image("RGB", (120, 80), seed=2))
    finally:
        stop(sender)


def test_idle_follower_uses_no_cpu(key):
    with Sender(key) as sender:
        sender.share(make_image("L", (64, 48)))
        follower = python("follow_idle.py", key, "3")
        report = follower.communicate(timeout=30)[0].split()
    cpu_seconds, frames_seen = float(report[0]), int(report[1])
    assert frames_seen == 1
    assert cpu_seconds / 3 < 0.01, f"{cpu_seconds:.3f} s of CPU in 3 s idle"


def test_list_and_clean_with_several_senders(private_ipc, new_key, tmp_path):
    """In a private IPC namespace: `clean` acts on every share of the user, and must meet only this test's."""
    keys = [new_key("dir") for _ in range(3)]
    path = tmp_path / "a.png"
    make_image("RGB").save(path)
    senders = [start_cli("send", str(path), "--key", k) for k in keys]
    try:
        for s in senders:
            wait_for_line(s)
        senders[1].kill()
        senders[1].wait()
        import json
        states = {s["info"]["key"]: s["state"] for s in json.loads(run_cli("list", "--json").stdout)
                  if s["info"]}
        assert [states[k] for k in keys] == ["alive", "stale", "alive"]
        cleaned = run_cli("clean").stdout
        assert keys[1] in cleaned and keys[0] not in cleaned and keys[2] not in cleaned
        states = {s["info"]["key"]: s["state"] for s in json.loads(run_cli("list", "--json").stdout)
                  if s["info"]}
        assert keys[1] not in states and states[keys[0]] == states[keys[2]] == "alive"
    finally:
        for s in senders:
            stop(s)


def test_cli_follow_prints_the_shares_it_missed(key):
    import signal
    with Sender(key) as sender:
        sender.share(make_image("L", (40, 30), seed=0))
        follower = start_cli("receive", "--key", key, "--follow", "--count", "2")
        try:
            first = follower.stdout.readline()
            assert "missed" not in first
            follower.send_signal(signal.SIGSTOP)  # busy elsewhere while five shares go by
            for n in range(1, 6):
                sender.share(make_image("L", (40, 30), seed=n))
            follower.send_signal(signal.SIGCONT)
            second = follower.stdout.readline()
            assert follower.wait(10) == 0, follower.stderr.read()
        finally:
            if follower.poll() is None:
                follower.kill()
                follower.wait()
    assert "sequence 6" in second and second.rstrip().endswith("missed 4"), second
