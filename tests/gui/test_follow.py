"""The Receiver tab's Follow toggle: each new share shown in order, the newest of a fast stream, frame
rate and age, place and zoom kept, "sender gone" when a real sender is killed, and a new sender taken up."""

from __future__ import annotations

import os
import signal
import threading
import time

from PIL import Image

from imgshare.ipc import Sender
from tests.conftest import start_cli
from tests.gui.support import pump_until, stop, stripes


def follow(app):
    app.notebook.select(app.receiver)
    app.receiver.follow_check.invoke()
    assert app.receiver.follow_var.get() and app.receiver.follow.active
    return record(app)


def record(app):
    """Every followed frame the tab shows, as (sequence, sender pid)."""
    seen = []
    tab = app.receiver
    show = tab.show_followed

    def recording(got):
        seen.append((got.info.sequence, got.info.sender_pid))
        show(got)
    tab.show_followed = recording
    return seen


def shown(app, sequence, pid=None):
    got = app.receiver.got
    return got is not None and got.info.sequence == sequence and (pid is None or got.info.sender_pid == pid)


def colour(n, size=(320, 200)):
    return Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))


def test_a_slow_sequence_is_shown_frame_by_frame_in_order(make_app, key):
    app = make_app(key=key)
    seen = follow(app)
    with Sender(key) as sender:
        sequences = []
        for n in range(8):
            sequences.append(sender.share(colour(n)))
            pump_until(app, lambda: shown(app, sequences[-1]), 5, f"frame {n} on screen")
        pump_until(app, lambda: app.receiver.view.displayed_size and not app.receiver.view.rendering)
    assert [s for s, _ in seen] == sequences
    assert app.receiver.panel.value("Sequence") == str(sequences[-1])
    assert app.status.text.startswith(f"Following key {key!r}: the sender (pid {os.getpid()})")


def test_a_fast_stream_shows_the_newest_and_its_frame_rate(make_app, key):
    app = make_app(key=key)
    seen = follow(app)
    done = threading.Event()
    last = []

    def stream():  # about 60 shares a second for 1.5 s
        with Sender(key) as sender:
            for n in range(90):
                last[:] = [sender.share(colour(n, (640, 360)))]
                time.sleep(1 / 60)
            done.wait(20)

    thread = threading.Thread(target=stream, daemon=True)
    thread.start()
    pump_until(app, lambda: "fps shown" in app.receiver.panel.value("Frame rate")
               and float(app.receiver.panel.value("Frame rate").split()[0]) >= 10, 10, "a frame rate")
    pump_until(app, lambda: last and last[0] >= 90 and shown(app, 90), 10, "the newest frame")
    age = app.receiver.panel.value("Age")
    done.set()
    thread.join(10)
    sequences = [s for s, _ in seen]
    assert sequences == sorted(set(sequences)) and sequences[-1] == 90  # never back, newest last
    assert age.endswith(" s") and float(age.split()[0]) < 5
    assert app.receiver.view.rendered >= 10


def test_place_and_zoom_are_kept_across_frames(make_app, key):
    app = make_app(key=key)
    tab = app.receiver
    tab.one_to_one_check.invoke()
    follow(app)
    with Sender(key) as sender:
        sender.share(stripes((2400, 1800)))
        pump_until(app, lambda: shown(app, 1) and tab.view.displayed_size and not tab.view.rendering)
        tab.view.canvas.xview_moveto(0.25)
        tab.view.canvas.yview_moveto(0.5)
        place = tab.view.canvas.canvasx(0), tab.view.canvas.canvasy(0)
        assert place[0] > 0 and place[1] > 0
        for n in range(2, 5):
            sender.share(stripes((2400, 1800), band=20 + n))
            pump_until(app, lambda n=n: shown(app, n) and not tab.view.rendering)
    assert (tab.view.canvas.canvasx(0), tab.view.canvas.canvasy(0)) == place
    assert tab.view.one_to_one and tab.one_to_one.get()
    box = tab.view.canvas.winfo_width(), tab.view.canvas.winfo_height()
    assert tab.view.displayed_size == box  # a 1:1 crop of the canvas's size, not a fit


def test_sender_gone_then_a_new_sender_is_followed(make_app, key, tmp_path):
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    colour(1).save(first)
    colour(2, (200, 100)).save(second)
    sender = start_cli("send", str(first), "--key", key)
    try:
        assert sender.stdout.readline().startswith("shared ")
        app = make_app(key=key)
        follow(app)
        pump_until(app, lambda: shown(app, 1, sender.pid), 10, "the first sender's image")
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(10)
        pump_until(app, lambda: "sender gone" in app.status.text.lower(), 10, "sender gone")
        assert app.receiver.panel.value("Sender") == f"pid {sender.pid}, sender gone"
        assert app.receiver.view.displayed_size is not None  # the last image stays
    finally:
        stop(sender)
    again = start_cli("send", str(second), "--key", key)
    try:
        assert again.stdout.readline().startswith("shared ")
        pump_until(app, lambda: app.receiver.got.info.sender_pid == again.pid, 10, "the new sender's image")
        assert "a new sender" in app.status.text
        assert app.receiver.got.image.size == (200, 100)
        assert app.receiver.panel.value("Sender") == f"pid {again.pid}, alive"
    finally:
        stop(again)


def test_turning_follow_off_or_changing_the_key_stops_the_thread(make_app, new_key):
    key, other = new_key(), new_key()
    app = make_app(key=key)
    follow(app)
    session = app.receiver.follow.session
    app.receiver.key_field.var.set(other)  # stops at once, follows the new key once typing pauses
    assert session.stopped
    pump_until(app, lambda: not session.running, 3, "the old follow thread to end")
    pump_until(app, lambda: app.receiver.follow.active, 3, "following the new key")
    assert app.receiver.follow.session.key == other
    session = app.receiver.follow.session
    app.receiver.follow_check.invoke()
    assert not app.receiver.follow.active and session.stopped
    pump_until(app, lambda: not session.running, 3, "the follow thread to end")
    assert app.status.text == f"Stopped following key {other!r}."
    assert app.receiver.panel.value("Frame rate") == "not following"


def test_gui_receive_follow_opens_following(make_app, key):
    app = make_app(key=key, receive=True, follow=True)
    assert app.notebook.select() == str(app.receiver) and app.receiver.follow.active
    with Sender(key) as sender:
        sender.share(colour(3))
        pump_until(app, lambda: shown(app, 1), 5, "the image")


def test_following_for_longer_than_the_sender_check_then_stopping(make_app, key):
    """Regression: the periodic sender check (every 2 s) used to replace the Follow controller, so
    turning Follow off later left the old follow thread running."""
    app = make_app(key=key)
    with Sender(key) as sender:
        sender.share(colour(1))
        follow(app)
        controller, session = app.receiver.follow, app.receiver.follow.session
        checks = app.receiver.sender_checks
        pump_until(app, lambda: app.receiver.sender_checks > checks, 10, "the periodic sender check")
        assert app.receiver.follow is controller and controller.session is session and controller.active
        app.receiver.follow_check.invoke()
        pump_until(app, lambda: not session.running, 3, "the follow thread to end")
        assert not any(t.name.startswith("imgshare-follow") for t in threading.enumerate())
