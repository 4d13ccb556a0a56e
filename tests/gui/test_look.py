"""The window's look at 96 and 192 dpi: a theme that is not Tk's default grey (checked on a screenshot),
light and dark from the menu and from the desktop's preference, tooltips, the icon and the titles."""

from __future__ import annotations

import subprocess
from tkinter import ttk

import pytest
from PIL import ImageGrab

from imgshare.settings import ThemeChoice
from imgshare.views.desktop import color_scheme
from imgshare.views.widgets import theme
from imgshare.views.widgets.tooltip import tooltip_of
from imgshare.views.window.menus import entries
from tests.gui.support import pump_until, status_after, stripes

TK_DEFAULT_GREY = (217, 217, 217)  # #d9d9d9, the background of Tk's default theme on X11


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def screenshot(app, screen: str):
    root = app.root
    root.update()
    x, y = root.winfo_rootx(), root.winfo_rooty()
    return ImageGrab.grab(bbox=(x, y, x + root.winfo_width(), y + root.winfo_height()), xdisplay=screen)


def share_of(shot, colour: tuple[int, int, int]) -> float:
    counts = shot.convert("RGB").getcolors(shot.width * shot.height)
    return sum(count for count, c in counts if c == colour) / (shot.width * shot.height)


def choose_theme(app, label: str) -> None:
    menu = app.menu.menus["Theme"]
    menu.invoke(entries(menu).index(label))


def test_the_theme_is_not_tks_default_grey_and_switches_to_dark(make_app, key, dpi, dpi_screen, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app(key=key, screen=dpi_screen)
    choose_theme(app, "Light")
    shot = screenshot(app, dpi_screen)
    assert share_of(shot, TK_DEFAULT_GREY) < 0.01
    assert share_of(shot, rgb(theme.LIGHT.background)) > 0.2
    choose_theme(app, "Dark")
    assert theme.is_dark(app.root) and app.settings.theme is ThemeChoice.DARK
    shot = screenshot(app, dpi_screen)
    assert share_of(shot, rgb(theme.DARK.background)) > 0.2 and share_of(shot, TK_DEFAULT_GREY) < 0.01
    assert str(app.menu.bar.cget("background")) == theme.DARK.background  # the menus follow
    box = app.receiver.key_field.entry
    listbox = str(box.tk.call("ttk::combobox::PopdownWindow", str(box))) + ".f.l"
    assert str(box.tk.call(listbox, "cget", "-background")) == theme.DARK.field  # and the key lists
    assert app.menu.theme_var.get() == "dark"
    again = make_app(key=key, screen=dpi_screen)  # the choice is remembered
    assert theme.is_dark(again.root)


def test_check_boxes_are_drawn_at_the_fonts_size(make_app, key, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    box = app.sender.qt_check
    line = theme.units(app.root).line
    assert box.winfo_reqheight() >= line  # not the tiny fixed-pixel square
    # On screen: the indicator is the first run of columns, from the box's left, that differ from the
    # window's background; its height is what the user sees of it.
    app.root.update()
    x, y = box.winfo_rootx(), box.winfo_rooty()
    shot = ImageGrab.grab(bbox=(x, y, x + box.winfo_width(), y + box.winfo_height()), xdisplay=dpi_screen)
    background = rgb(theme.palette(app.root).background)
    columns = [[row for row in range(shot.height) if shot.getpixel((column, row))[:3] != background]
               for column in range(shot.width)]
    first = next(column for column, rows in enumerate(columns) if rows)
    end = next((column for column in range(first, shot.width) if not columns[column]), shot.width)
    drawn = {row for column in range(first, end) for row in columns[column]}
    assert max(drawn) - min(drawn) + 1 >= round(line * 0.9), (min(drawn), max(drawn), line)


def test_radio_buttons_are_drawn_at_the_fonts_size_too(make_app, key, dpi, dpi_screen):
    """The value range's Auto / Window choice: clam's radio indicator is a fixed few pixels."""
    app = make_app(key=key, screen=dpi_screen)
    radio = ttk.Radiobutton(app.root, text="Auto")
    layout = str(ttk.Style(app.root).layout("TRadiobutton"))
    assert "Imgshare.Radiobutton.indicator" in layout
    assert radio.winfo_reqheight() >= theme.units(app.root).line
    radio.destroy()


def test_following_the_desktop_reads_its_preference(make_app, key, tmp_path, monkeypatch):
    config = tmp_path / "config"
    (config / "gtk-3.0").mkdir(parents=True)
    (config / "gtk-3.0" / "settings.ini").write_text("[Settings]\ngtk-application-prefer-dark-theme=1\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("GTK_THEME", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    app = make_app(key=key)
    assert app.settings.theme is ThemeChoice.SYSTEM
    pump_until(app, lambda: theme.is_dark(app.root), what="the desktop's dark preference")
    choose_theme(app, "Light")
    assert not theme.is_dark(app.root)
    choose_theme(app, "Follow the desktop")
    pump_until(app, lambda: theme.is_dark(app.root), what="dark again")


@pytest.mark.parametrize("text, dark", [("(<<uint32 1>>,)", True), ("(<<uint32 2>>,)", False),
                                        ("(<<uint32 0>>,)", None), ("", None)])
def test_the_portals_answer_is_parsed(text, dark):
    assert color_scheme.portal_answer(text) is dark


def test_gtk_settings_files(tmp_path):
    ini = tmp_path / "settings.ini"
    assert color_scheme.gtk_settings_answer(ini) is None
    ini.write_text("[Settings]\ngtk-theme-name=Adwaita-dark\n")
    assert color_scheme.gtk_settings_answer(ini) is True
    ini.write_text("[Settings]\ngtk-theme-name=Adwaita\n")
    assert color_scheme.gtk_settings_answer(ini) is False
    ini.write_text("not an ini file")
    assert color_scheme.gtk_settings_answer(ini) is None


def test_tooltips_appear_on_the_controls_whose_meaning_is_not_obvious(make_app, key, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen)
    controls = {app.sender: [(app.sender.watch_check, "saved"), (app.sender.qt_check, "Qt"),
                             (app.sender.share_button, "shared memory"), (app.sender.stop_button, "removed"),
                             (app.sender.key_field.entry, "System V")],
                app.receiver: [(app.receiver.follow_check, "new image"), (app.receiver.qt_check, "Qt"),
                               (app.receiver.clean_button, "stale"), (app.receiver.one_to_one_check, "own size"),
                               (app.receiver.key_field.entry, "recently")]}
    for tab, pairs in controls.items():
        app.notebook.select(tab)
        app.root.update()
        for widget, word in pairs:
            tip = tooltip_of(widget)
            assert tip is not None and word in tip.text, widget
            widget.event_generate("<Enter>")  # the pointer rests on it
            pump_until(app, lambda tip=tip: tip.window is not None, what=f"the tooltip of {widget}")
            label = tip.window.winfo_children()[0]
            assert label.cget("text") == tip.text
            assert label.winfo_reqwidth() <= theme.units(app.root).chars(56)  # wrapped, not one long line
            widget.event_generate("<Leave>")
            app.root.update()
            assert tip.window is None


def test_the_window_has_its_icon(make_app, key):
    """What a window manager shows: the _NET_WM_ICON property holds the icon at 256, 48, 32 and 16 pixels."""
    app = make_app(key=key)
    tree = subprocess.run(["xwininfo", "-tree", "-id", str(app.root.winfo_id())], capture_output=True, text=True,
                          timeout=10).stdout
    wrapper = next(line.split()[3] for line in tree.splitlines() if "Parent window id" in line)  # Tk's wrapper
    out = subprocess.run(["xprop", "-len", "100000000", "-id", wrapper, "-f", "_NET_WM_ICON", "32c", "_NET_WM_ICON"],
                         capture_output=True, text=True, timeout=30).stdout
    numbers = [int(value) for value in out.split("=", 1)[1].replace(",", " ").split()]
    sizes = []
    while numbers:  # width, height, then width x height pixels, for each icon
        width, height = numbers[0], numbers[1]
        sizes.append((width, height))
        numbers = numbers[2 + width * height:]
    assert sizes == [(256, 256), (48, 48), (32, 32), (16, 16)], sizes


def test_titles_say_the_key_and_what_the_window_does(make_app, new_key, tmp_path):
    one, two = new_key(), new_key()
    path = tmp_path / "t.png"
    stripes((40, 30)).save(path)
    sender = make_app(key=one, send_file=str(path))
    receiver = make_app(key=two)
    assert receiver.root.title() == f"Sender, key {two!r} \u2013 imgshare"
    pump_until(sender, lambda: sender.root.title() == f"Sharing t.png as {one!r} \u2013 imgshare",
               what="the sharing title")
    receiver.notebook.select(receiver.receiver)
    receiver.root.update()
    assert receiver.root.title() == f"Receiver, key {two!r} \u2013 imgshare"
    receiver.receiver.key_field.var.set(one)
    status_after(receiver, receiver.receiver.receive)
    pump_until(receiver, lambda: receiver.root.title() == f"Showing {one!r} (40x30 RGB) \u2013 imgshare",
               what="the receiving title")
    receiver.receiver.set_follow(True)
    pump_until(receiver, lambda: receiver.root.title() == f"Following {one!r} \u2013 imgshare",
               what="the following title")
    sender.notebook.select(sender.receiver)
    sender.receiver.set_follow(True)
    pump_until(sender, lambda: sender.root.title() == f"Following {one!r}, Sharing t.png as {one!r} \u2013 imgshare",
               what="both at once, the shown tab first")
    assert sender.root.title() != receiver.root.title()
