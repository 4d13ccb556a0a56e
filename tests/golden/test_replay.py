"""Replaying what was recorded, with real processes: `receive --follow -o FOLDER/` records each frame's
time beside it; `send FOLDER/ --fps N` plays the folder's images in name order once and ends (exit 0);
`send FOLDER/` without --fps plays at the recorded pace; --loop plays again.

A follower skips to the newest image when it falls behind (on a loaded machine it may), so what it
recorded is checked as frames in playing order, not as every frame."""

from __future__ import annotations

import json
import threading
import time

from PIL import Image

from tests.conftest import run_cli, start_cli, wait_until

COLOURS = [(250, 10, 10), (10, 250, 10), (10, 10, 250), (200, 200, 20)]


def frames_folder(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for n, colour in enumerate(COLOURS):
        Image.new("RGB", (31, 17), colour).save(folder / f"{n:03d}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


class Follower:
    """`receive --follow -o folder` in its own process, its output lines collected as they come."""

    def __init__(self, key, folder):
        self.process = start_cli("receive", "--key", key, "--follow", "-o", str(folder), "--wait", "60")
        self.lines: list[str] = []
        self.errors: list[str] = []
        for stream, lines in ((self.process.stdout, self.lines), (self.process.stderr, self.errors)):
            threading.Thread(target=lambda s=stream, x=lines: x.extend(iter(s.readline, "")), daemon=True).start()
        # it says it is waiting once it follows the key (the folder is made when the first image comes)
        wait_until(lambda: any("waiting" in line for line in self.errors), what="the follower to wait for images")

    def until_sender_gone(self) -> None:
        wait_until(lambda: any(line.startswith("sender gone") for line in self.lines), timeout=60,
                   what="the follower to see the sender go")
        self.process.terminate()
        self.process.wait(30)


def colours_in(folder):
    return [Image.open(p).getpixel((0, 0)) for p in sorted(folder.glob("*.png"))]


def in_playing_order(seen, loops=1):
    """Whether seen could be what a follower caught of COLOURS played loops times (none twice in a row)."""
    played = COLOURS * loops
    position = 0
    for colour in seen:
        while position < len(played) and played[position] != colour:
            position += 1
        if position == len(played):
            return False
        position += 1
    return bool(seen)


def test_send_folder_plays_once_in_name_order_then_records_and_replays_at_the_pace(key, new_key, tmp_path):
    source = frames_folder(tmp_path)
    recorded = tmp_path / "recorded"
    follower = Follower(key, recorded)
    started = time.monotonic()
    played = run_cli("send", f"{source}/", "--key", key, "--fps", "4")
    took = time.monotonic() - started
    assert played.returncode == 0, played.stderr
    assert "playing 4 frames once" in played.stdout and f"played 4 frames of {source}/" in played.stdout
    assert took >= 0.75  # 4 frames at 4 a second: at least 3 gaps of 0.25 s (a lower bound only)
    follower.until_sender_gone()
    seen = colours_in(recorded)
    assert in_playing_order(seen), seen
    lines = [json.loads(line) for line in (recorded / "imgshare-frames.jsonl").read_text().splitlines()]
    assert [line["file"] for line in lines] == [p.name for p in sorted(recorded.glob("*.png"))]
    assert lines[0]["time"] == 0 and all(b["time"] > a["time"] for a, b in zip(lines, lines[1:], strict=False))

    replay_key = new_key()
    again = tmp_path / "again"
    follower = Follower(replay_key, again)
    started = time.monotonic()
    replayed = run_cli("send", str(recorded), "--key", replay_key)  # no --fps: the recorded pace
    assert replayed.returncode == 0, replayed.stderr
    assert time.monotonic() - started >= lines[-1]["time"]  # it waited out the recorded gaps
    follower.until_sender_gone()
    assert in_playing_order(colours_in(again)) and set(colours_in(again)) <= set(seen)


def test_loop_plays_again_and_a_folder_without_times_needs_fps(key, tmp_path):
    source = frames_folder(tmp_path)
    refused = run_cli("send", str(source), "--key", key)
    assert refused.returncode == 1 and "give --fps N" in refused.stderr and "Traceback" not in refused.stderr
    looped = tmp_path / "looped"
    follower = Follower(key, looped)
    sender = start_cli("send", str(source), "--key", key, "--fps", "5", "--loop")
    # looping: past the last colour, the first comes again
    wait_until(lambda: COLOURS[3] in colours_in(looped) and colours_in(looped)[-1] != COLOURS[3]
               and colours_in(looped).index(COLOURS[3]) < len(colours_in(looped)) - 1, timeout=60,
               what="the animation to start again after its last frame")
    sender.terminate()
    sender.wait(10)
    follower.until_sender_gone()
    seen = colours_in(looped)
    assert in_playing_order(seen, loops=len(seen)) and not in_playing_order(seen, loops=1)
    assert run_cli("send", str(tmp_path / "frames" / "000.png"), "--key", key, "--fps", "3").returncode == 2
