"""Dropping files on the Sender tab (tkdnd) and pasting images with Ctrl+V (xclip on X11)."""

from __future__ import annotations

import io
import subprocess

from PIL import Image

from tests.gui.support import pump_until, status_after, stripes


def drop(widget, paths: list[str]) -> None:
    """Run the widget's <<Drop>> binding as tkdnd does on a real XDND drop (same percent substitutions)."""
    script = widget.bind("<<Drop>>")
    assert script, "the widget is not a drop target"
    fields = ["%CST", "%CTT", "%ST", "%TT", "%A", "%a", "%b", "%C", "%c", "%D", "%e", "%L", "%m", "%T",
              "%t", "%W", "%X", "%Y"]
    values = {"%D": widget.tk.call("list", *paths), "%W": str(widget), "%A": "copy", "%X": "10", "%Y": "10",
              "%e": "<<Drop>>", "%T": "DND_Files"}
    mapping = [item for field in fields for item in (field, widget.tk.call("list", values.get(field, "")))]
    widget.tk.eval(widget.tk.call("string", "map", mapping, script))


def put_on_clipboard(data: bytes, target: str) -> None:
    subprocess.run(["xclip", "-selection", "clipboard", "-t", target, "-i"], input=data, timeout=10,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def press_ctrl_v(app):
    app.root.focus_force()
    app.sender.open_button.focus_set()
    app.root.update()
    app.sender.open_button.event_generate("<Control-v>")


def test_dropping_files_opens_the_first_image(make_app, key, tmp_path):
    app = make_app(key=key)
    assert app.sender.drop_problem == ""  # tkinterdnd2's tkdnd loaded
    notes = tmp_path / "read me.txt"
    notes.write_text("text")
    image = tmp_path / "dropped image.png"
    stripes((150, 100)).save(image)
    said = status_after(app, lambda: drop(app.sender.view.canvas, [str(notes), str(image)]))
    assert said.startswith("Opened dropped image.png (150x100 RGB)")
    said = status_after(app, lambda: drop(app.sender.view.canvas, [str(notes)]))
    assert app.status.is_error and said == f"{notes}: not an image file Pillow can read."
    assert app.sender.loaded.source_name == "dropped image.png"  # the earlier image is still there


def test_ctrl_v_pastes_an_image_or_files_or_says_why_not(make_app, key, tmp_path, monkeypatch):
    original = stripes((120, 90))
    buffer = io.BytesIO()
    original.save(buffer, "PNG")
    put_on_clipboard(buffer.getvalue(), "image/png")
    app = make_app(key=key)
    said = status_after(app, lambda: press_ctrl_v(app))
    assert said.startswith("Opened clipboard (120x90 RGB)")
    assert app.sender.loaded.image.convert("RGB").tobytes() == original.tobytes()
    path = tmp_path / "copied file.png"
    Image.new("L", (33, 44), 9).save(path)
    put_on_clipboard(f"file://{str(path).replace(' ', '%20')}\r\n".encode(), "text/uri-list")
    said = status_after(app, lambda: press_ctrl_v(app))
    assert said.startswith("Opened copied file.png (33x44 L)")
    put_on_clipboard(b"just text", "UTF8_STRING")
    said = status_after(app, lambda: press_ctrl_v(app))
    assert app.status.is_error and said.startswith("The clipboard holds no image")
    monkeypatch.setattr("shutil.which", lambda name: None)
    said = status_after(app, lambda: press_ctrl_v(app))
    assert app.status.is_error and "need the xclip program, which is not installed" in said
    assert app.sender.loaded.source_name == "copied file.png"
    app.sender.key_field.entry.focus_set()  # in the key field Ctrl+V pastes text, not an image
    app.root.update()
    before = len(app.status.history)
    app.sender.key_field.entry.event_generate("<Control-v>")
    pump_until(app, lambda: True)
    assert len(app.status.history) == before
