"""Two real `python -m imgshare gui` processes under Xvfb, driven with xdotool, checked on a screenshot."""

from __future__ import annotations

import os
import subprocess

from PIL import Image, ImageGrab

from imgshare.ipc import Receiver
from imgshare.views.widgets.theme import LIGHT
from tests.conftest import wait_until
from tests.gui.support import CYAN, MAGENTA, ipc_objects, start_gui, stop, stripes


def xdotool(*args: str) -> str:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=20, check=True).stdout


def windows() -> set[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "imgshare$"],
                           capture_output=True, text=True, timeout=20).stdout
    return set(found.split())


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def new_window(before: set[str], process) -> str:
    def appeared():
        assert process.poll() is None, process.stderr.read()
        return windows() - before
    (window,) = wait_until(appeared, 20, "the window", step=0.1)
    return window


def geometry(window: str) -> tuple[int, int, int, int]:
    values = dict(line.split("=") for line in xdotool("getwindowgeometry", "--shell", window).split())
    x, y, width, height = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    return x, y, width, height


def place(window: str, x: int, width: int) -> None:
    """Move and size a window, again until it sticks (Tk applies its own geometry once mapped)."""
    def placed() -> bool:
        if geometry(window) == (x, 0, width, 780):
            return True
        xdotool("windowsize", window, str(width), "780")
        xdotool("windowmove", window, str(x), "0")
        return False  # looked at again after the step, once X and Tk have had it
    wait_until(placed, 20, "the window to take its place", step=0.2)


def grab(window: str) -> Image.Image:
    x, y, w, h = geometry(window)
    return ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ["DISPLAY"])


def colour_share(shot: Image.Image, colour) -> float:
    histogram = shot.convert("RGB").getcolors(shot.width * shot.height)
    return sum(count for count, c in histogram if c == colour) / (shot.width * shot.height)


def stripe_runs(shot: Image.Image) -> list[tuple[tuple, int]]:
    """(colour, length) runs down the column through the middle of the magenta/cyan area."""
    rgb = shot.convert("RGB")
    columns = [x for x in range(rgb.width) if rgb.getpixel((x, rgb.height // 2)) in (MAGENTA, CYAN)]
    x = columns[len(columns) // 2]
    runs: list[list] = []
    for y in range(rgb.height):
        pixel = rgb.getpixel((x, y))
        if pixel in (MAGENTA, CYAN):
            if runs and runs[-1][0] == pixel and runs[-1][2] == y - 1:
                runs[-1][1] += 1
                runs[-1][2] = y
            else:
                runs.append([pixel, 1, y])
    return [(colour, length) for colour, length, _ in runs]


def test_two_real_windows_hand_over_an_image(key, tmp_path):
    path = tmp_path / "e2e.png"
    stripes((800, 600), band=50).save(path)  # 12 bands: 6 magenta, 6 cyan
    before = windows()
    receiver = start_gui("--receive", "--key", key)
    sender = None
    try:
        rec_window = new_window(before, receiver)
        place(rec_window, 0, 640)
        wait_until(lambda: colour_share(grab(rec_window), rgb(LIGHT.background)) > 0.2, 20, "the receiver to draw")
        assert colour_share(grab(rec_window), MAGENTA) == 0  # nothing shared yet: nothing shown
        sender = start_gui("--send", str(path), "--key", key)
        snd_window = new_window(before | {rec_window}, sender)
        place(snd_window, 640, 640)
        assert Receiver(key).info(wait=20).sender_pid == sender.pid
        xdotool("windowfocus", "--sync", rec_window)
        xdotool("key", "--clearmodifiers", "ctrl+r")
        shot = wait_until(lambda: (lambda s: s if colour_share(s, MAGENTA) > 0.03 else None)(grab(rec_window)),
                        20, "the receiver to show the sender's pixels")
        shot = grab(rec_window)  # once more, after any last redraw
        ImageGrab.grab(xdisplay=os.environ["DISPLAY"]).save(tmp_path / "screen.png")
        runs = stripe_runs(shot)
        assert [colour for colour, _ in runs] == [MAGENTA, CYAN] * 6, runs
        lengths = [length for _, length in runs]
        assert max(lengths) - min(lengths) <= 2, lengths  # even bands: scaled, not cropped or distorted
        assert abs(colour_share(shot, MAGENTA) - colour_share(shot, CYAN)) < 0.01
        xdotool("windowfocus", "--sync", snd_window)
        xdotool("key", "--clearmodifiers", "ctrl+q")
        assert sender.wait(15) == 0, sender.stderr.read()
        assert ipc_objects(key) == []
        xdotool("windowfocus", "--sync", rec_window)
        xdotool("key", "--clearmodifiers", "ctrl+q")
        assert receiver.wait(15) == 0, receiver.stderr.read()
    finally:
        stop(receiver)
        if sender is not None:
            stop(sender)
