"""The Sender tab's animations (play, pause, resume; frame index shown) and Watch file (a new version
is shared, a half-written one is skipped with the share left as it was)."""

from __future__ import annotations

import time

from PIL import Image

from imgshare.ipc import Receiver
from tests.gui.support import pump_until, status_after


def open_and_share(app, path):
    app.sender.ask_open_path = lambda parent: str(path)
    status_after(app, app.sender.open_button.invoke)
    return status_after(app, app.sender.share_button.invoke)


def sequence(key):
    return Receiver(key).info().sequence


def gif(path, count=4, ms=40):
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "lime", "blue", "yellow")[:count]]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms, loop=0)


def pump_for(app, seconds):
    end = time.monotonic() + seconds
    pump_until(app, lambda: time.monotonic() > end, seconds + 5)


def test_an_animation_plays_pauses_and_resumes(make_app, key, tmp_path):
    path = tmp_path / "anim.gif"
    gif(path)
    app = make_app(key=key)
    tab = app.sender
    assert str(tab.play_button.cget("state")) == "disabled"
    open_and_share(app, path)
    assert str(tab.play_button.cget("state")) == "normal" and tab.play_button.cget("text") == "Pause"
    start = sequence(key)
    pump_until(app, lambda: sequence(key) >= start + 6, 5, "frames to play")
    pump_until(app, lambda: tab.share_panel.value("Frame").endswith(" of 4"), 5, "the frame index")
    seen: set[object] = set()  # the pixels change, not only the sequence
    pump_until(app, lambda: seen.add(Receiver(key).receive().image.getpixel((0, 0))) or len(seen) >= 2, 5,
               "the shared pixels to change")

    tab.play_button.invoke()
    assert tab.play_button.cget("text") == "Play" and app.status.text == "Paused anim.gif."
    pump_for(app, 0.15)  # a share in flight may still land
    paused_at = sequence(key)
    pump_for(app, 0.5)
    assert sequence(key) == paused_at
    assert tab.share_panel.value("Frame").endswith("(paused)")

    tab.play_button.invoke()
    assert tab.play_button.cget("text") == "Pause"
    pump_until(app, lambda: sequence(key) >= paused_at + 3, 5, "playing on")

    status_after(app, tab.stop_button.invoke)
    assert str(tab.play_button.cget("state")) == "disabled"


def test_a_still_image_has_no_play_button(make_app, key, tmp_path):
    path = tmp_path / "still.png"
    Image.new("RGB", (30, 20), "red").save(path)
    app = make_app(key=key)
    open_and_share(app, path)
    assert str(app.sender.play_button.cget("state")) == "disabled"
    assert app.sender.share_panel.value("Frame") == "still image"


def test_watch_shares_new_versions_and_skips_a_half_written_one(make_app, key, tmp_path):
    path = tmp_path / "output.png"
    Image.new("RGB", (80, 60), "red").save(path)
    app = make_app(key=key)
    app.sender.watch_check.invoke()
    open_and_share(app, path)
    pump_until(app, lambda: app.status.text.endswith(f"; watching {path} for changes."), 5, "watching")
    assert sequence(key) == 1

    new = tmp_path / "new.png"
    Image.new("RGB", (90, 70), "blue").save(new)
    path.write_bytes(new.read_bytes()[:150])  # a writer that has not finished
    pump_until(app, lambda: app.status.text.startswith("Skipped a half-written or broken version of output.png"),
               5, "the skip")
    assert app.status.is_error and "still sharing the previous version (sequence 1)" in app.status.text
    assert sequence(key) == 1 and Receiver(key).receive().image.size == (80, 60)

    path.write_bytes(new.read_bytes())  # finished
    pump_until(app, lambda: app.status.text.startswith("Shared a new version of output.png (90x70 RGB)"),
               5, "the new version")
    image, info = Receiver(key).receive()
    assert info.sequence == 2 and image.getpixel((0, 0)) == (0, 0, 255)
    assert app.sender.image_panel.value("Size") == "90 x 70"

    app.sender.watch_check.invoke()  # off: later changes are not shared
    Image.new("RGB", (10, 10), "green").save(path)
    pump_for(app, 0.8)
    assert sequence(key) == 2
