"""`imgshare remove --force` on a live animated sender: it says plainly that the sender will share again
and how to stop it, and that is what happens. Real processes."""

from __future__ import annotations

import signal

from PIL import Image

from imgshare.ipc import ImgShareError, Receiver
from tests.conftest import run_cli, start_cli, wait_until
from tests.ipc_cleanup import objects_of
from tests.test_cli_send import read_line_with


def shared_again(key: str, removed_segment: int) -> bool:
    try:
        info = Receiver(key).info()
    except ImgShareError:
        return False
    return info.segment_id != removed_segment


def test_removing_a_live_animation_says_it_comes_back_and_how_to_stop_it(key, tmp_path):
    path = tmp_path / "blink.gif"
    frames = [Image.new("RGB", (30, 20), color) for color in ("red", "lime", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    proc = start_cli("send", str(path), "--key", key)
    try:
        read_line_with(proc.stdout, "playing 3 frames")
        before = Receiver(key).info()
        result = run_cli("remove", "--key", key, "--force")
        assert result.returncode == 0, result.stderr
        first, note = result.stdout.strip().splitlines()
        assert first.startswith(f"removed the share under key {key!r} (30x20 RGBA, sender pid {proc.pid})")
        assert note.startswith(f"note: its sender (pid {proc.pid}) is still running and shares again under "
                               "this key on its next image")
        assert note.endswith(f"to stop it for good, stop that sender: kill {proc.pid}")
        # What the note says: the next frame shares again, in a new segment.
        wait_until(lambda: shared_again(key, before.segment_id), 10, "the sender to share again")
    finally:
        proc.send_signal(signal.SIGTERM)  # what `kill PID` sends
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    wait_until(lambda: objects_of(key) == [], 10, "the sender to remove its share")


def test_removing_a_persisted_share_adds_no_note(key, tmp_path):
    path = tmp_path / "still.png"
    Image.new("RGB", (8, 8), "red").save(path)
    assert run_cli("send", str(path), "--key", key, "--persist").returncode == 0
    result = run_cli("remove", "--key", key)
    assert result.returncode == 0
    assert result.stdout.strip().splitlines() == [f"removed the share under key {key!r} (8x8 RGB, sender pid "
                                                  f"{result.stdout.split('sender pid ')[1].split(')')[0]})"]
    assert objects_of(key) == []
