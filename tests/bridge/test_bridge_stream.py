"""A stream across the bridge: every image in order, no duplicates, missed counts that match the frame
counter in the pixels; a stopped puller gets the newest image when it resumes, never a stale one."""

from __future__ import annotations

import signal
import time

from tests.conftest import wait_until

FRAMES = 240


def _collect(watcher, last_counter: int) -> list[dict]:
    seen = []
    while not seen or seen[-1].get("counter") != last_counter:
        event = watcher.json_line(timeout=60)
        if "counter" in event:
            seen.append(event)
    return seen


def test_a_stream_arrives_in_order_with_exact_missed_counts(hosts, address):
    a, b = hosts
    a.imgshare("bridge", "serve", "--key", "stream", "--listen", address).wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/stream")
    watcher = b.peer("watch", "stream")
    watcher.wait_for("watching")
    streamer = a.peer("stream", "stream", str(FRAMES), "120", "641", "359")
    frames = _collect(watcher, FRAMES - 1)
    streamer.wait_for("done")
    counters = [f["counter"] for f in frames]
    assert counters == sorted(set(counters)), "duplicated or reordered images"
    for before, after in zip(frames, frames[1:], strict=False):
        assert after["missed"] == after["counter"] - before["counter"] - 1  # missed counts are exact
        assert after["sequence"] - before["sequence"] == after["counter"] - before["counter"]
        assert after["tags"]["counter"] == after["counter"]  # each image's tags crossed with it
    assert counters[-1] == FRAMES - 1  # the newest image always arrives
    delivered = len(frames)
    assert delivered + sum(f["missed"] for f in frames[1:]) == counters[-1] - counters[0] + 1


def test_a_stopped_puller_resumes_with_a_fresh_image(hosts, address):
    a, b = hosts
    a.imgshare("bridge", "serve", "--key", "stall", "--listen", address).wait_for("serving")
    puller = b.imgshare("bridge", "pull", f"{address}/stall")
    watcher = b.peer("watch", "stall")
    watcher.wait_for("watching")
    streamer = a.peer("stream", "stall", "100000", "60", "320", "240")
    for _ in range(30):  # flowing
        watcher.json_line()
    puller.signal(signal.SIGSTOP)
    stopped_at = time.time()
    # While the puller is stopped, the pulled key keeps its last image: the watcher sees nothing new.
    before = watcher.lines.qsize()
    wait_until(lambda: time.time() - stopped_at > 3.0, timeout=30, what="three seconds of the puller stopped")
    resumed_at = time.time()
    puller.signal(signal.SIGCONT)
    later = []
    while len(later) < 5:
        event = watcher.json_line()
        if event.get("received_at", 0) > resumed_at:
            later.append(event)
    # Every image published after the resume was shared there long after the stop (its tags say when):
    # the one on its way when the puller stopped was dropped as stale, and the newest asked for instead.
    assert all(e["tags"]["shared_at"] > stopped_at + 1.5 for e in later), [
        e["tags"]["shared_at"] - stopped_at for e in later]
    assert before <= 2
    streamer.stop()
