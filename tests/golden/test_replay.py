"""Replaying what was recorded, with real processes: `receive --follow -o FOLDER/` records each frame's
time beside it; `send FOLDER/ --fps N` plays the folder's images in name order once and ends (exit 0);
`send FOLDER/` without --fps plays at the recorded pace; --loop plays again."""

from __future__ import annotations

import json
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


def follow_into(key, folder, count):
    return start_cli("receive", "--key", key, "--follow", "--count", str(count), "-o", str(folder), "--wait", "60")


def colours_in(folder):
    return [Image.open(p).getpixel((0, 0)) for p in sorted(folder.glob("*.png"))]


def test_send_folder_plays_once_in_name_order_then_records_and_replays_at_the_pace(key, new_key, tmp_path):
    source = frames_folder(tmp_path)
    recorded = tmp_path / "recorded"
    follower = follow_into(key, recorded, len(COLOURS))
    wait_until(lambda: recorded.exists(), what="the follower to make its folder")
    started = time.monotonic()
    played = run_cli("send", f"{source}/", "--key", key, "--fps", "4")
    took = time.monotonic() - started
    assert played.returncode == 0, played.stderr
    assert "playing 4 frames once" in played.stdout and f"played 4 frames of {source}/" in played.stdout
    assert took >= 0.75  # 4 frames at 4 a second: at least 3 gaps of 0.25 s (a lower bound only)
    out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    assert colours_in(recorded) == COLOURS
    lines = [json.loads(line) for line in (recorded / "imgshare-frames.jsonl").read_text().splitlines()]
    assert [line["file"] for line in lines] == [p.name for p in sorted(recorded.glob("*.png"))]
    assert lines[0]["time"] == 0 and all(b["time"] > a["time"] for a, b in zip(lines, lines[1:], strict=False))
    assert lines[-1]["time"] >= 0.6  # the recorded pace follows the 0.25 s frames

    replay_key = new_key()
    again = tmp_path / "again"
    follower = follow_into(replay_key, again, len(COLOURS))
    wait_until(lambda: again.exists(), what="the second follower")
    started = time.monotonic()
    replayed = run_cli("send", str(recorded), "--key", replay_key)  # no --fps: the recorded pace
    assert replayed.returncode == 0, replayed.stderr
    assert time.monotonic() - started >= lines[-1]["time"]
    follower.communicate(timeout=60)
    assert colours_in(again) == COLOURS


def test_loop_plays_again_and_a_folder_without_times_needs_fps(key, tmp_path):
    source = frames_folder(tmp_path)
    refused = run_cli("send", str(source), "--key", key)
    assert refused.returncode == 1 and "give --fps N" in refused.stderr and "Traceback" not in refused.stderr
    looped = tmp_path / "looped"
    follower = follow_into(key, looped, 6)
    wait_until(lambda: looped.exists(), what="the follower")
    sender = start_cli("send", str(source), "--key", key, "--fps", "5", "--loop")
    out, err = follower.communicate(timeout=60)
    sender.terminate()
    sender.wait(10)
    assert follower.returncode == 0, err
    assert colours_in(looped)[4:] == COLOURS[:2]  # past the end, from the start again
    assert run_cli("send", str(tmp_path / "frames" / "000.png"), "--key", key, "--fps", "3").returncode == 2
