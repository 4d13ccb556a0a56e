"""File dialogs and menus at 96 and 192 dpi under a window manager (openbox): the desktop's own chooser
(zenity) runs while the window stays live and held busy; Tk's dialog, the fallback, lists as many rows
with icons a line tall at either dpi; menu entries, the pinned-pixel marker and the scroll bars' arrows
are sized in font units; Esc leaves no menu highlighted."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import tkinter

import pytest
from PIL import Image

from imgshare.views.widgets import file_chooser
from imgshare.views.widgets.theme import MENU_ENTRY_LINES, units
from tests.conftest import wait_until
from tests.gui.support import pump_until


def xdotool(display: str, *args: str) -> str:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, DISPLAY=display)).stdout


def test_the_desktops_chooser_runs_while_the_window_stays_live(make_app, desktop, tmp_path, monkeypatch):
    if shutil.which("zenity") is None:
        pytest.fail("this test needs zenity: run scripts/bootstrap test,gui")
    monkeypatch.setenv("IMGSHARE_FILE_CHOOSER", "zenity")
    chosen = tmp_path / "picked.png"
    Image.new("RGB", (4, 4)).save(chosen)
    app = make_app(screen=desktop.display)
    ticks: list[bool] = []

    def tick() -> None:  # the Tk loop runs on while the chooser is open, the window held busy
        ticks.append(file_chooser.is_busy(app.root))
        app.root.after(20, tick)

    returned = threading.Event()

    def answer() -> None:  # a person presses Enter on the file the chooser was opened on
        found = wait_until(lambda: xdotool(desktop.display, "search", "--name", "^Open image$").split(), 60,
                           "zenity's window")
        xdotool(desktop.display, "windowactivate", "--sync", found[0])
        while not returned.is_set():  # until GTK has its widgets up and takes the key
            xdotool(desktop.display, "key", "Return")
            returned.wait(1.0)

    app.root.after(20, tick)
    helper = threading.Thread(target=answer, daemon=True)
    helper.start()
    path = file_chooser.ask_open(app.sender, "Open image", str(tmp_path), [("Images", "*.png")], chosen.name)
    returned.set()
    helper.join(10)
    assert path == str(chosen)
    assert len(ticks) >= 3 and any(ticks)  # drawn and running meanwhile, its input held
    assert not file_chooser.is_busy(app.root)  # and given back


def test_closing_the_window_closes_the_desktops_chooser(make_app, desktop, tmp_path, monkeypatch):
    """A dialog window closed while its chooser is open takes the chooser with it (none left on screen)."""
    if shutil.which("zenity") is None:
        pytest.fail("this test needs zenity: run scripts/bootstrap test,gui")
    monkeypatch.setenv("IMGSHARE_FILE_CHOOSER", "zenity")
    app = make_app(screen=desktop.display)
    window = tkinter.Toplevel(app.root)
    shown = threading.Event()

    def find() -> list[str]:
        return xdotool(desktop.display, "search", "--name", "^Compare with file$").split()

    def watch() -> None:  # off the Tk thread: the chooser's window on screen
        wait_until(find, 60, "zenity's window")
        shown.set()

    def close_when_shown() -> None:
        if shown.is_set():
            window.destroy()
        else:
            app.root.after(20, close_when_shown)

    threading.Thread(target=watch, daemon=True).start()
    app.root.after(20, close_when_shown)
    assert file_chooser.ask_open(window, "Compare with file", str(tmp_path)) == ""
    wait_until(lambda: not find(), 30, "zenity's window to close with the window that opened it")

def test_tk_dialog_lists_as_many_rows_at_192_dpi_as_at_96(make_app, dpi_screen, tmp_path, monkeypatch):
    monkeypatch.setenv("IMGSHARE_FILE_CHOOSER", "tk")
    for n in range(30):
        (tmp_path / f"frame-{n:03d}.png").touch()
    app = make_app(screen=dpi_screen)
    parent = app.sender
    seen: dict[str, int] = {}

    def look() -> None:
        dialog = f"{parent}.__tk_filedialog"
        canvas = f"{dialog}.contents.icons.cHull.canvas"
        if not (app.root.tk.call("winfo", "exists", dialog) and app.root.tk.call("winfo", "viewable", dialog)):
            app.root.after(50, look)
            return
        app.root.update_idletasks()
        seen["height"] = int(app.root.tk.call("winfo", "height", canvas))
        icon = str(app.root.tk.call("set", "::tk::Priv(fileImage)"))
        seen["icon"] = int(app.root.tk.call("image", "height", icon))
        # its Cancel: a generated Escape is dropped when no window of the screen has the focus (no WM here)
        app.root.tk.call(f"{dialog}.contents.f2.cancel", "invoke")

    app.root.after(50, look)
    assert file_chooser.ask_open(parent, "Open image", str(tmp_path), [("Images", "*.png")]) == ""
    u = units(app.root)
    assert seen["icon"] >= u.line - 1  # icons a line tall: 16 pixels at 96 dpi, about 30 at 192
    assert seen["height"] >= u.line * 12  # a dozen rows or more, at either dpi (three were shown at 192)


def test_menus_marker_and_scroll_arrows_are_in_font_units(make_app, key, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    u = units(app.root)
    file_menu = app.menu.menus["File"]
    spacer = str(file_menu.entrycget(0, "image"))
    assert spacer and int(app.root.tk.call("image", "height", spacer)) == round(u.line * MENU_ENTRY_LINES)
    for menu in (*app.menu.menus.values(), *app.image_menus.values(), app.text_fields.menu, app.menu.recent):
        app.text_fields._fill_menu(str(app.sender.key_field.entry)) if menu is app.text_fields.menu else None
        last = menu.index("end")
        for index in range((last or 0) + 1):
            if menu.type(index) not in ("separator", "tearoff"):
                assert str(menu.entrycget(index, "image")) == spacer, (menu, index)
    view = app.sender.view
    image = Image.new("RGB", (40, 30), "grey")
    view.show(image, source=image)
    view.zoom_to(4.0)
    pump_until(app, lambda: view.displayed_size and not view.rendering, what="the zoomed image")
    view.pin((10, 10))
    outline = float(view.canvas.itemcget(view._marks[1], "width"))
    assert outline == max(1, round(view.winfo_fpixels("0.75p")))  # 1 pixel at 96 dpi, 2 at 192
    arrow = app.root.tk.call("ttk::style", "lookup", "TScrollbar", "-arrowsize")
    assert int(arrow) == round(u.line * 0.8)
    assert int(view.xbar.winfo_height()) >= round(u.line * 0.8)


def test_esc_leaves_no_menu_highlighted(desktop, make_app, key):
    app = make_app(key=key, screen=desktop.display, size=None)
    root = app.root
    bar = next(c for c in root.tk.splitlist(root.tk.call("winfo", "children", ".")) if "#" in c)
    root.focus_force()
    x = int(root.tk.call("winfo", "rootx", bar)) + units(root).chars(2)
    y = int(root.tk.call("winfo", "rooty", bar)) + int(root.tk.call("winfo", "height", bar)) // 2
    xdotool(desktop.display, "mousemove", str(x), str(y), "click", "1")
    pump_until(app, lambda: str(root.tk.call(bar, "index", "active")) == "0", what="File to open")
    xdotool(desktop.display, "key", "Escape")
    pump_until(app, lambda: not any(root.tk.call("winfo", "ismapped", m)
                                    for m in root.tk.splitlist(root.tk.call("winfo", "children", bar))),
               what="the menu to close")
    assert str(root.tk.call(bar, "index", "active")) == "none" and root.tk.call("grab", "current") == ""
