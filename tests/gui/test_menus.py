"""Every menu entry does what it says (the menu bar and the image's right-click menu), at 96 and 192 dpi,
and every accelerator a menu shows is a shortcut the window binds."""

from __future__ import annotations

import io
import subprocess
import tkinter as tk
from pathlib import Path

from PIL import Image

from imgshare import __version__
from imgshare.views.commands.table import (
    BY_NAME,
    COMMANDS,
    IMAGE_MENU,
    MENUS,
    RECENT_FILES,
    SEPARATOR,
    THEMES,
    Menu,
    Scope,
    help_rows,
    in_scope,
)
from imgshare.views.widgets import theme
from imgshare.views.window.help_dialogs import InfoDialog
from imgshare.views.window.menus import entries
from tests.conftest import wait_until
from tests.gui.support import pump_until, status_after, stripes
from tests.gui.test_animation import gif


def expected_labels(spec: Menu) -> list[str]:
    """The labels a menu of the command table shows (separators left out)."""
    cascades = {RECENT_FILES: "Open recent", THEMES: "Theme"}
    return [cascades.get(entry) or BY_NAME[entry].label for entry in spec.entries if entry != SEPARATOR]


def run(app, menu_name: str, label: str, menu: tk.Menu | None = None) -> None:
    menu = menu or app.menu.menus[menu_name]
    last = menu.index("end")
    for index in range((last or 0) + 1):
        if menu.type(index) != "separator" and menu.entrycget(index, "label") == label:
            menu.invoke(index)
            app.root.update()
            return
    raise AssertionError(f"no entry {label!r} in {menu_name}")


def said(app, menu_name: str, label: str, menu: tk.Menu | None = None) -> str:
    return status_after(app, lambda: run(app, menu_name, label, menu))


def dialogs(app) -> list[InfoDialog]:
    return [w for w in app.root.winfo_children() if isinstance(w, InfoDialog)]


def clipboard_png() -> Image.Image | None:
    data = subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-o"], capture_output=True,
                          timeout=10).stdout
    try:
        return Image.open(io.BytesIO(data))
    except OSError:
        return None


def clipboard_holds(size: tuple[int, int]) -> None:
    """Wait until the clipboard serves a PNG of size: xclip hands the selection to a forked child, so
    the previous owner may answer for a moment after the copy said it was done."""
    wait_until(lambda: (png := clipboard_png()) is not None and png.size == size, 10, f"a {size} PNG on the clipboard")


def test_the_menus_and_bindings_are_the_command_table(make_app, key, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    assert [app.menu.bar.entrycget(i, "label") for i in range(len(MENUS))] == [spec.label for spec in MENUS]
    for spec in MENUS:
        menu = app.menu.menus[spec.label]
        assert entries(menu) == expected_labels(spec)
        for index in range(menu.index("end") + 1):
            if menu.type(index) in ("command", "checkbutton"):
                command = next(c for c in COMMANDS if c.label == menu.entrycget(index, "label")
                               and c.name in spec.entries)
                assert str(menu.entrycget(index, "accelerator")) == ("" if command.check else command.accelerator)
                assert int(menu.entrycget(index, "underline")) == command.underline
    assert entries(app.menu.menus["Theme"]) == ["Follow the desktop", "Light", "Dark"]
    shown = {str(m.entrycget(i, "accelerator")) for m in app.menu.menus.values()
             for i in range((m.index("end") or 0) + 1) if m.type(i) == "command"} - {""}
    assert len(shown) >= 14
    for command in in_scope(Scope.WINDOW):  # every shortcut the table has, the window binds
        for sequence in command.keys.sequences:
            assert app.root.bind(sequence), (command.name, sequence)
    for command in in_scope(Scope.IMAGE_VIEW):  # and each image view, for the keys that act on it
        for sequence in command.keys.sequences:
            assert app.sender.view.canvas.bind(sequence) and app.receiver.view.canvas.bind(sequence), sequence
    for menu in app.image_menus.values():
        assert entries(menu) == [BY_NAME[name].label for name in IMAGE_MENU]


def test_file_menu(make_app, key, tmp_path, monkeypatch, dpi_screen):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    stripes((70, 50)).save(first)
    stripes((30, 20)).save(second)
    app = make_app(key=key, screen=dpi_screen)
    app.notebook.select(app.receiver)
    app.sender.ask_open_path = lambda parent: str(first)
    assert said(app, "File", "Open image...").startswith("Opened first.png (70x50 RGB)")
    assert app.notebook.select() == str(app.sender)
    app.sender.open_paths([str(second)])
    pump_until(app, lambda: app.sender.loaded.source_name == "second.png", what="the second file")
    app.menu.refresh_recent()
    assert said(app, "File", f"1  second.png  ({tmp_path})", app.menu.recent).startswith("Opened second.png")
    assert said(app, "File", f"2  first.png  ({tmp_path})", app.menu.recent).startswith("Opened first.png")
    out = tmp_path / "saved.png"
    app.ask_save_path = lambda parent, suggested, folder: str(out) if suggested == "first.png" else ""
    assert said(app, "File", "Save image as...").startswith(f"Saved {out} (70x50 RGB)")
    with Image.open(out) as saved:
        assert saved.convert("RGB").tobytes() == stripes((70, 50)).tobytes()
    assert said(app, "File", "Copy image") == "Copied the image to the clipboard."
    clipboard_holds((70, 50))
    stripes((40, 44)).save(buffer := io.BytesIO(), "PNG")
    subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-i"], input=buffer.getvalue(),
                   timeout=10, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    assert said(app, "File", "Paste image").startswith("Opened clipboard (40x44 RGB)")
    run(app, "File", "Quit")
    assert app.closed


def test_view_menu(make_app, key, tmp_path, dpi_screen):
    path = tmp_path / "v.png"
    stripes((400, 300)).save(path)
    app = make_app(key=key, send_file=str(path), screen=dpi_screen)
    pump_until(app, lambda: app.sender.shared, what="the share")
    view = app.sender.view
    pump_until(app, lambda: view.displayed_size and not view.rendering, what="the picture")
    fitted = view.scale
    run(app, "View", "Zoom in")
    assert view.scale > fitted and not view.fitted and app.status.zoom_label.cget("text") == view.zoom_text
    zoomed = view.scale
    run(app, "View", "Zoom out")
    assert view.scale < zoomed
    run(app, "View", "Actual size (100%)")
    assert view.scale == 1.0 and app.status.zoom_label.cget("text") == "100%"
    run(app, "View", "Fit to window")
    assert view.fitted and abs(view.scale - fitted) < 0.1 * fitted  # the side column may have grown
    run(app, "View", "Receiver tab")
    assert app.notebook.select() == str(app.receiver)
    run(app, "View", "Sender tab")
    assert app.notebook.select() == str(app.sender)
    run(app, "View", "Dark", app.menu.menus["Theme"])
    assert theme.is_dark(app.root)
    run(app, "View", "Light", app.menu.menus["Theme"])
    assert not theme.is_dark(app.root)
    run(app, "View", "Follow the desktop", app.menu.menus["Theme"])
    assert app.settings.theme.value == "system"


def test_share_menu(make_app, key, tmp_path, dpi_screen):
    path = tmp_path / "anim.gif"
    gif(path, count=3)
    app = make_app(key=key, screen=dpi_screen)
    app.sender.open_paths([str(path)])
    pump_until(app, lambda: app.sender.loaded, what="the animation")
    app.notebook.select(app.receiver)
    assert said(app, "Share", "Share").startswith("Shared anim.gif")
    assert app.notebook.select() == str(app.sender) and app.sender.shared.frames == 3
    run(app, "Share", "Pause / play animation")
    assert not app.sender.session.playing and app.status.text == "Paused anim.gif."
    run(app, "Share", "Pause / play animation")
    assert app.sender.session.playing
    run(app, "Share", "Watch file")
    pump_until(app, lambda: "atch" in app.status.text and not app.sender.worker.busy, what="watching")
    assert app.sender.watch_var.get()
    run(app, "Share", "Watch file")
    pump_until(app, lambda: "Stopped watching" in app.status.text, what="no more watching")
    assert not app.sender.watch_var.get()
    settled = lambda: not app.sender.worker.busy and app.sender.qt_check.instate(["!disabled"])  # noqa: E731
    run(app, "Share", "Qt compatible")
    pump_until(app, settled, what="the tab to settle")
    assert app.sender.qt_var.get()
    run(app, "Share", "Qt compatible")
    pump_until(app, settled, what="the tab to settle")
    assert not app.sender.qt_var.get()
    assert said(app, "Share", "Stop sharing").startswith(f"Stopped sharing under key {key!r}")
    assert app.sender.shared is None


def test_receive_menu(private_ipc, make_app, key, tmp_path, dpi_screen):
    """In a private IPC namespace: Clean up acts on every share of the user, and must meet only this test's."""
    path = tmp_path / "r.png"
    stripes((60, 40)).save(path)
    app = make_app(key=key, send_file=str(path), screen=dpi_screen)
    pump_until(app, lambda: app.sender.shared, what="the share")
    assert said(app, "Receive", "Receive").startswith(f"Received 60x40 RGB under key {key!r}")
    assert app.notebook.select() == str(app.receiver)
    out = tmp_path / "out.tif"
    app.receiver.ask_save_path = lambda parent, suggested: str(out)
    assert said(app, "Receive", "Save image as...").startswith(f"Saved {out}") and out.exists()
    assert said(app, "Receive", "Copy image") == "Copied the image to the clipboard."
    clipboard_holds((60, 40))
    app.receiver.compare.ask_open_path = lambda parent: str(path)
    assert said(app, "Receive", "Compare with file...").startswith("Compared with r.png: ")
    assert app.receiver.compare.result is not None and app.receiver.compare.result.exact
    assert said(app, "Receive", "Clean up stale shares") == "No stale shares to clean up; nothing was removed."
    run(app, "Receive", "Follow")
    assert app.receiver.follow_var.get() and app.receiver.follow.active
    run(app, "Receive", "Follow")
    assert not app.receiver.follow.active
    run(app, "Receive", "Qt compatible")
    assert app.receiver.qt_var.get() and app.receiver.follow_check.instate(["disabled"])
    run(app, "Receive", "Follow")  # not available in Qt mode: the menu says so and changes nothing
    assert not app.receiver.follow_var.get() and app.status.is_error and "not available" in app.status.text
    run(app, "Receive", "Qt compatible")
    assert not app.receiver.qt_var.get() and app.receiver.follow_check.instate(["!disabled"])


def test_help_menu(make_app, key, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    run(app, "Help", "Keyboard shortcuts")
    (shortcuts,) = dialogs(app)
    assert shortcuts.rows == help_rows() and shortcuts.title() == "Keyboard shortcuts"
    assert ("Ctrl+O", "Open an image file") in shortcuts.rows
    shortcuts.close_button.invoke()
    run(app, "Help", "Documentation")
    (docs,) = dialogs(app)
    assert docs.title() == "Documentation" and any(Path(value).name == "README.md" and Path(value).is_file()
                                                   for _, value in docs.rows)
    docs.destroy()
    run(app, "Help", "About imgshare")
    (about,) = dialogs(app)
    rows = dict(about.rows)
    assert rows["SHMMAX"].split()[0] == Path("/proc/sys/kernel/shmmax").read_text().split()[0]
    assert rows["SEMMNI"].split()[0] == Path("/proc/sys/kernel/sem").read_text().split()[3]
    assert set(rows) == {"SHMMAX", "SHMALL", "SHMMNI", "SEMMSL", "SEMMNS", "SEMOPM", "SEMMNI"}
    texts = [w.cget("text") for w in about.winfo_children()[0].winfo_children() if w.winfo_class() == "TLabel"]
    assert f"imgshare {__version__}" in texts
    about.close_button.focus_force()
    app.root.update()
    about.close_button.event_generate("<Escape>")
    app.root.update()
    assert dialogs(app) == []
    app.root.focus_force()
    app.root.update()
    app.root.event_generate("<F1>")
    app.root.update()
    assert len(dialogs(app)) == 1


def test_the_images_right_click_menu(make_app, key, tmp_path, dpi_screen):
    path = tmp_path / "c.png"
    image = Image.new("RGB", (50, 40), (10, 20, 30))
    image.putpixel((5, 6), (200, 100, 50))
    image.save(path)
    app = make_app(key=key, send_file=str(path), screen=dpi_screen, receive=True)
    pump_until(app, lambda: app.receiver.got, what="the image")
    menu = app.image_menus[str(app.receiver)]
    assert entries(menu) == ["Copy image", "Save image as...", "Copy pixel value"]
    assert said(app, "", "Copy image", menu) == "Copied the image to the clipboard."
    clipboard_holds((50, 40))
    out = tmp_path / "right.png"
    app.receiver.ask_save_path = lambda parent, suggested: str(out)
    assert said(app, "", "Save image as...", menu).startswith(f"Saved {out}")
    assert said(app, "", "Copy pixel value", menu).startswith("Point at a pixel")  # nothing inspected yet
    app.receiver.view.pin((5, 6))
    run(app, "", "Copy pixel value", menu)
    text = app.root.clipboard_get()
    assert text == app.receiver.view.pixel_value_text() and "200" in text and "x 5, y 6" in text
    sender_menu = app.image_menus[str(app.sender)]
    out2 = tmp_path / "from-sender.png"
    app.ask_save_path = lambda parent, suggested, folder: str(out2)
    assert said(app, "", "Save image as...", sender_menu).startswith(f"Saved {out2}")
    with Image.open(out2) as saved:
        assert saved.getpixel((5, 6)) == (200, 100, 50)
