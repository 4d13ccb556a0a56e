"""The Receiver tab's key list: this user's shares with live senders and a stale one (a CLI sender
killed with SIGKILL), picking one receives it, and Clean up removes only the stale one."""

from __future__ import annotations

import os
import signal

from PIL import Image

from imgshare.ipc import Sender
from tests.conftest import start_cli
from tests.gui.support import ipc_objects, pump_until, status_after, stop


def listed(app, keys):
    """Wait for a listing made after now that names every key; returns {key: Choice}."""
    shares = app.receiver.key_list
    before = shares.refreshed
    shares.refresh()
    pump_until(app, lambda: shares.refreshed > before and keys <= {c.key for c in shares.listed}, 10,
               f"the list to show {sorted(keys)}")
    return {c.key: c for c in shares.listed if c.key in keys}


def test_list_pick_and_clean_up(private_ipc, make_app, new_key, tmp_path):
    """In a private IPC namespace: Clean up acts on every share of the user, and must meet only this test's."""
    alive1, alive2, dead = new_key(), new_key(), new_key()
    path = tmp_path / "d.png"
    Image.new("RGB", (123, 45), "orange").save(path)
    killed = start_cli("send", str(path), "--key", dead)
    try:
        assert killed.stdout.readline().startswith("shared ")
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
    finally:
        stop(killed)
    with Sender(alive1) as one, Sender(alive2) as two:
        one.share(Image.new("RGB", (64, 48), "red"), source_name="one.png")
        two.share(Image.new("L", (33, 44), 7), source_name="two.png")
        app = make_app()
        app.notebook.select(app.receiver)
        found = listed(app, {alive1, alive2, dead})
        assert found[dead].stale and "STALE" in found[dead].text and f"pid {killed.pid}" in found[dead].text
        assert not found[alive1].stale and "64x48 RGB" in found[alive1].text and "alive" in found[alive1].text
        assert f"pid {os.getpid()}" in found[alive2].text and "33x44 L" in found[alive2].text
        values = app.receiver.key_field.entry.cget("values")
        assert found[alive2].text in values
        assert "stale" in app.receiver.shares_label.cget("text")

        combo = app.receiver.key_field.entry
        combo.current(list(values).index(found[alive2].text))
        said = status_after(app, lambda: combo.event_generate("<<ComboboxSelected>>"))
        assert app.receiver.key_field.key == alive2
        assert said.startswith(f"Received 33x44 L under key {alive2!r}"), said

        said = status_after(app, app.receiver.clean_button.invoke)
        assert said.startswith("Cleaned up ") and repr(dead) in said, said
        assert ipc_objects(dead) == []
        assert ipc_objects(alive1) and ipc_objects(alive2)
        after = listed(app, {alive1, alive2})
        assert dead not in {c.key for c in app.receiver.key_list.listed} and len(after) == 2


def test_picking_a_share_follows_it_when_follow_is_on(make_app, new_key):
    key = new_key()
    with Sender(key) as sender:
        sender.share(Image.new("RGB", (40, 30), "blue"))
        app = make_app()
        app.notebook.select(app.receiver)
        app.receiver.follow_check.invoke()
        found = listed(app, {key})
        combo = app.receiver.key_field.entry
        combo.current(list(combo.cget("values")).index(found[key].text))
        combo.event_generate("<<ComboboxSelected>>")
        assert app.receiver.follow.active and app.receiver.follow.session.key == key
        pump_until(app, lambda: app.receiver.got and app.receiver.got.info.key == key, 5, "the followed image")
        sender.share(Image.new("RGB", (40, 30), "green"))
        pump_until(app, lambda: app.receiver.got.info.sequence == 2, 5, "the next image")
