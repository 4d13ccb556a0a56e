"""The Receiver keeps a history of the frames it follows: pause, step back and forth (the header, the
inspector and Save as follow the frame shown), go live again, save the history to a folder as
`receive --follow -o` writes one, and keep within the count and memory budget of the settings."""

from __future__ import annotations

import gc
import json
import weakref

from PIL import Image

from imgshare.ipc import Sender
from imgshare.settings import Settings, save
from tests.gui.support import pump_until, status_after

SIZE = (320, 200)  # 192,000 bytes of RGB a frame (its display copy is the same image)


def frame(n: int) -> Image.Image:
    return Image.new("RGB", SIZE, ((n * 23) % 256, (n * 71) % 256, 200))


def follow_frames(app, sender, count: int, start: int = 1) -> list[Image.Image]:
    """Share count frames, each once the follower has received the one before (none is skipped)."""
    tab = app.receiver
    sent = []
    for n in range(start, start + count):
        before = tab.history.added
        image = frame(n)
        sender.share(image)
        sent.append(image)
        pump_until(app, lambda before=before: tab.history.added > before, what=f"frame {n} received")
    return sent


def test_pause_step_back_and_forth_then_live(make_app, key):
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    bar = tab.history_bar
    with Sender(key) as sender:
        tab.follow_check.invoke()
        follow_frames(app, sender, 12)
        pump_until(app, lambda: tab.got is not None and tab.got.info.sequence == 12, what="the newest frame")
        bar.pause_button.invoke()
        follow_frames(app, sender, 2, start=13)  # kept, not shown: the paused image stays
        app.root.update()
        assert tab.got.info.sequence == 12 and len(tab.history) == 14
        for _ in range(3):
            bar.back_button.invoke()
        assert tab.got.info.sequence == 9 and tab.panel.value("Sequence") == "9"
        assert tab.view.image.getpixel((5, 5)) == frame(9).getpixel((0, 0))
        assert bar.where.cget("text") == "frame 9 of 14, sequence 9 (paused)"
        bar.forward_button.invoke()
        assert tab.got.info.sequence == 10 and tab.got.image.getpixel((0, 0)) == frame(10).getpixel((0, 0))
        pump_until(app, lambda: tab.inspector.stats is not None and tab.inspector.stats.image is tab.got.image,
                   what="the inspector on the frame shown")
        bar.pause_button.invoke()  # Live
        assert not bar.paused and tab.got.info.sequence == 14
        follow_frames(app, sender, 1, start=15)
        pump_until(app, lambda: tab.got.info.sequence == 15, what="live frames shown again")
        tab.follow_check.invoke()


def test_the_history_stays_within_its_budget_and_lets_go_of_the_rest(make_app, key, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    save(Settings(history_frames=100, history_megabytes=1.0))  # room for 5 frames of 192,000 bytes
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    assert (tab.history.max_frames, tab.history.budget) == (100, 1_000_000)
    with Sender(key) as sender:
        tab.follow_check.invoke()
        follow_frames(app, sender, 3)
        early = [weakref.ref(kept.got.image) for kept in tab.history.frames()]
        follow_frames(app, sender, 12, start=4)
        kept = tab.history.frames()
        assert len(kept) == 5 and tab.history.bytes_held == 5 * 192_000 <= 1_000_000
        assert [k.got.info.sequence for k in kept] == [11, 12, 13, 14, 15]
        tab.follow_check.invoke()
    pump_until(app, lambda: not tab.follow.active and (gc.collect() or True)
               and all(ref() is None for ref in early), what="the frames let go to be freed")


def test_save_history_writes_a_followed_folder_off_the_tk_thread(make_app, key, tmp_path):
    app = make_app(key=key)
    tab = app.receiver
    app.notebook.select(tab)
    with Sender(key) as sender:
        tab.follow_check.invoke()
        sent = follow_frames(app, sender, 6)
        tab.follow_check.invoke()
    folder = tmp_path / "caught"
    tab.history_bar.ask_folder = lambda parent: str(folder)
    ticks = []
    app.root.after(0, lambda: ticks.append(tab.worker.busy))  # the loop runs while the folder is written
    said = status_after(app, tab.history_bar.save_button.invoke)
    assert said.startswith(f"Saved the history's 6 frames (sequences 1 to 6) in {folder}"), said
    assert ticks and ticks[0]
    names = sorted(path.name for path in folder.iterdir())
    assert names == [f"{n:06d}.png" for n in range(1, 7)] + ["imgshare-frames.jsonl"]
    for n, image in enumerate(sent, start=1):
        with Image.open(folder / f"{n:06d}.png") as saved:
            assert saved.mode == "RGB" and saved.tobytes() == image.tobytes()
    lines = [json.loads(line) for line in (folder / "imgshare-frames.jsonl").read_text().splitlines()]
    assert [line["file"] for line in lines] == names[:-1] and [line["sequence"] for line in lines] == list(range(1, 7))
    assert lines[0]["time"] == 0 and all(a["time"] <= b["time"] for a, b in zip(lines, lines[1:], strict=False))
