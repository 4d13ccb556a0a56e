"""Share in one app instance, receive in another app instance in another process, both ways."""

from __future__ import annotations

import json

from PIL import Image

from imgshare.views.imageview.display import fit_size
from tests.gui.support import ipc_objects, pump_until, run_peer, same_pixels, start_peer, stop, stripes


def test_share_here_receive_in_another_app_process(make_app, key, tmp_path):
    original = stripes((1000, 600))
    source = tmp_path / "stripes.png"
    original.save(source)
    app = make_app(key=key)
    app.sender.ask_open_path = lambda parent: str(source)
    app.sender.open_button.invoke()
    pump_until(app, lambda: app.sender.loaded, what="the image to load")
    app.sender.share_button.invoke()
    pump_until(app, lambda: app.sender.shared, what="the share")
    assert "sequence 1" in app.status.text and repr(key) in app.status.text
    out = tmp_path / "received.png"
    result = run_peer("receive", key, str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["errors"] == []
    assert report["status"] == f"Saved {out} ({original.width}x{original.height} {original.mode})."
    assert tuple(report["displayed"]) == fit_size(original.size, tuple(report["box"]))
    with Image.open(out) as saved:
        assert same_pixels(saved, original)


def test_share_in_another_app_process_receive_here(make_app, key, tmp_path):
    original = Image.new("RGBA", (333, 777), (10, 200, 30, 128))
    original.paste((250, 20, 20, 255), (0, 0, 333, 100))
    source = tmp_path / "tall.png"
    original.save(source)
    peer = start_peer("send", key, str(source))
    try:
        line = json.loads(peer.stdout.readline() or "{}")
        assert line.get("sequence") == 1, (line, peer.stderr.read() if peer.poll() is not None else "")
        app = make_app(key=key, receive=True)
        pump_until(app, lambda: app.receiver.got, what="the received image")
        assert app.notebook.select() == str(app.receiver)
        info = app.receiver.got.info
        assert (info.width, info.height, info.mode, info.source_name) == (333, 777, "RGBA", "tall.png")
        assert app.receiver.panel.value("Sender") == f"pid {peer.pid}, alive"
        view = app.receiver.view
        pump_until(app, lambda: view.displayed_size and not view.rendering, what="the display")
        box = view.canvas.winfo_width(), view.canvas.winfo_height()
        assert view.displayed_size == fit_size((333, 777), box)
        out = tmp_path / "got.png"
        app.receiver.ask_save_path = lambda parent, suggested: str(out)
        app.receiver.save_button.invoke()
        pump_until(app, lambda: app.status.text.startswith("Saved"), what="the save")
        with Image.open(out) as saved:
            assert same_pixels(saved, original)
    finally:
        stop(peer)
    assert peer.returncode == 0, peer.stderr.read()
    assert ipc_objects(key) == []  # the peer's SIGTERM handler closed its window and removed both
    pump_until(app, lambda: "sender gone" in app.receiver.panel.value("Sender"), timeout=10,
               what="the panel to say the sender is gone")
