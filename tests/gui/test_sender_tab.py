"""The Sender tab driven through its widgets: open, preview, share, replace, stop, and every error."""

from __future__ import annotations

import struct
import zlib

from PIL import Image

from imgshare.ipc import Receiver
from imgshare.views.imageview.display import fit_size
from tests.conftest import start_cli
from tests.gui.support import foreign_segment, ipc_objects, lock_held_elsewhere, pump_until, status_after, stop, stripes


def open_file(app, path) -> str:
    app.sender.ask_open_path = lambda parent: str(path)
    return status_after(app, app.sender.open_button.invoke)


def share(app) -> str:
    return status_after(app, app.sender.share_button.invoke)


def test_open_previews_and_describes(make_app, key, tmp_path):
    path = tmp_path / "wide.png"
    stripes((1600, 400)).save(path)
    app = make_app(key=key)
    assert app.sender.key_field.sysv_text.startswith("System V key ")
    assert open_file(app, path) == "Opened wide.png (1600x400 RGB); press Share (Ctrl+Enter) to share it."
    view = app.sender.view
    pump_until(app, lambda: view.displayed_size and not view.rendering, what="the preview")
    box = view.canvas.winfo_width(), view.canvas.winfo_height()
    assert min(box) >= 128
    assert view.displayed_size == fit_size((1600, 400), box)
    assert [app.sender.image_panel.value(n) for n in ("Source", "Size", "Mode")] == ["wide.png", "1600 x 400", "RGB"]
    assert app.sender.image_panel.value("File size").endswith(("KB", "bytes"))
    assert ipc_objects(key) == []  # opening alone shares nothing


def test_share_replace_and_stop(make_app, key, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    stripes((300, 200)).save(first)
    Image.new("L", (2000, 1500), 77).save(second)
    app = make_app(key=key)
    open_file(app, first)
    assert share(app) == f"Shared a.png (300x200 RGB) under key {key!r}, sequence 1."
    assert app.sender.share_panel.value("Sequence") == "1"
    assert sorted(kind for kind, _ in ipc_objects(key)) == ["sem", "shm", "shm"]  # set, control, one data
    open_file(app, second)
    assert share(app).endswith("sequence 2.")
    image, info = Receiver(key).receive()
    assert (image.size, image.mode, info.source_name, info.sequence) == ((2000, 1500), "L", "b.png", 2)
    assert app.sender.share_panel.value("Image") == "2000 x 1500 L, b.png"
    app.sender.focus_set()
    assert status_after(app, app.sender.stop_button.invoke) == \
        f"Stopped sharing under key {key!r}; its shared memory is removed."
    assert ipc_objects(key) == []
    assert app.sender.share_panel.value("Key") == "not sharing"


def test_share_without_an_image_says_what_to_do(make_app, key):
    app = make_app(key=key)
    app.sender.share()
    assert app.status.is_error and app.status.text == "Open an image first (Ctrl+O), then share it."


def huge_png_header(path, width, height):
    """A tiny PNG whose header claims width x height (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def test_file_errors_keep_the_previous_share(make_app, key, tmp_path):
    good = tmp_path / "good.png"
    stripes((320, 240)).save(good)
    text = tmp_path / "notes.txt"
    text.write_text("not an image\n")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:200])
    bomb = tmp_path / "bomb.png"
    huge_png_header(bomb, 60000, 60000)
    wide = tmp_path / "wide.png"
    Image.new("L", (70000, 1)).save(wide)
    app = make_app(key=key)
    open_file(app, good)
    share(app)
    shown = app.sender.view.displayed_size
    cases = {
        tmp_path / "missing.png": f"{tmp_path / 'missing.png'}: no such file",  # the whole path, as given
        text: f"{text}: not an image file Pillow can read",
        truncated: f"{truncated}: the image is damaged or truncated",
        bomb: f"{bomb}: the image has too many pixels to open safely",
        tmp_path: f"{tmp_path}: is a folder",
    }
    for path, start in cases.items():
        said = open_file(app, path)
        assert app.status.is_error and said.startswith(start), said
        assert said.endswith(f"; still sharing under key {key!r}."), said
    open_file(app, wide)  # opens, but no segment may be 70000 pixels wide
    said = share(app)
    assert app.status.is_error and said.startswith("The image is 70000x1; imgshare carries 1 to 65536 pixels a side")
    image, info = Receiver(key).receive()
    assert (info.sequence, info.source_name, image.size) == (1, "good.png", (320, 240))
    assert app.sender.share_panel.value("Image") == "320 x 240 RGB, good.png"
    assert shown is not None


def test_share_errors_name_the_key(make_app, new_key, tmp_path):
    path = tmp_path / "s.png"
    stripes((64, 48)).save(path)
    mine, foreign, busy, taken = new_key(), new_key(), new_key(), new_key()
    app = make_app(key=mine)
    app.sender.session.lock_timeout = 0.5
    open_file(app, path)
    share(app)
    with foreign_segment(foreign):
        app.sender.key_field.var.set(foreign)
        said = share(app)
        assert app.status.is_error and f"the key {foreign!r} holds another program's shared memory" in said.lower()
    with lock_held_elsewhere(busy):
        app.sender.key_field.var.set(busy)
        said = share(app)
        assert app.status.is_error and f"the key {busy!r} stayed busy for 0.5 s" in said.lower()
    other = start_cli("send", str(path), "--key", taken)
    try:
        assert other.stdout.readline().startswith("shared ")
        app.sender.key_field.var.set(taken)
        said = share(app)
        assert app.status.is_error and f"the key {taken!r} is in use by pid {other.pid}" in said.lower()
    finally:
        stop(other)
    app.sender.key_field.var.set("")
    said = share(app)
    assert app.status.is_error and said.startswith("The key must not be empty")
    assert Receiver(mine).info().sequence == 1  # the first share never moved
    assert app.sender.shared.key == mine
