"""The window's layout at 96 and 192 dpi: every control inside the window and at least as large as it
asks to be, at the minimum size and at the first size; long text ends in "…" with the whole in a
tooltip; Enter in the Receiver's key field receives; Save as says that it saves, then what it saved."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import pytest
from PIL import Image

from imgshare.views.widgets.eliding_label import ELLIPSIS
from imgshare.views.widgets.flow_row import FlowRow
from imgshare.views.widgets.scroll_column import ScrollColumn
from imgshare.views.widgets.tooltip import tooltip_of
from tests.gui.support import pump_until, status_after, stripes

CONTROLS = (ttk.Button, ttk.Checkbutton, ttk.Entry, ttk.Scrollbar)  # ttk.Combobox is an Entry


def descendants(widget: tk.Misc) -> list[tk.Misc]:
    found: list[tk.Misc] = []
    pending: list[tk.Misc] = list(widget.winfo_children())
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(child.winfo_children())
    return found


def inside_a_scrolled_column(widget: tk.Misc) -> bool:
    """Panels in a side column are reached by scrolling it (its scroll bar is checked instead)."""
    parent = widget.master
    while parent is not None:
        if isinstance(parent, ScrollColumn) and widget is not parent.bar:
            return True
        parent = parent.master
    return False


def resize(app, width: int, height: int) -> None:
    app.root.geometry(f"{width}x{height}+0+0")
    pump_until(app, lambda: (app.root.winfo_width(), app.root.winfo_height()) == (width, height),
               what=f"the window to be {width}x{height}")
    app.root.update()  # let the rows that wrap lay themselves out at that width
    app.root.update()


def out_of_reach(app, tab) -> list[str]:
    """Every control of tab that is hidden, outside the window or smaller than it asks to be."""
    app.notebook.select(tab)
    app.root.update()
    root = app.root
    left, top = root.winfo_rootx(), root.winfo_rooty()
    right, bottom = left + root.winfo_width(), top + root.winfo_height()
    problems = []
    for widget in descendants(tab):
        if not isinstance(widget, CONTROLS) or inside_a_scrolled_column(widget):
            continue
        if isinstance(widget, ttk.Scrollbar) and not widget.winfo_ismapped():
            continue  # shown only when there is something to scroll
        name = f"{widget.winfo_class()} {widget.cget('text') if 'text' in widget.keys() else widget}"
        if not widget.winfo_ismapped():
            problems.append(f"{name}: not shown")
            continue
        x, y, w, h = widget.winfo_rootx(), widget.winfo_rooty(), widget.winfo_width(), widget.winfo_height()
        if x < left or y < top or x + w > right or y + h > bottom:
            problems.append(f"{name}: at {x},{y} {w}x{h}, outside the window {left},{top}-{right},{bottom}")
        if w < widget.winfo_reqwidth() or h < widget.winfo_reqheight():
            problems.append(f"{name}: {w}x{h}, smaller than the {widget.winfo_reqwidth()}x"
                            f"{widget.winfo_reqheight()} it asks for")
    return problems


def loaded_and_received(app, key, tmp_path):
    path = tmp_path / "layout.png"
    stripes((300, 200)).save(path)
    app.sender.open_paths([str(path)], then_share=True)
    pump_until(app, lambda: app.sender.shared, what="the share")
    app.notebook.select(app.receiver)
    status_after(app, app.receiver.receive)


def test_every_control_is_reachable_at_the_minimum_and_first_size(make_app, key, tmp_path, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen, size=None)
    first = app.root.winfo_width(), app.root.winfo_height()
    units = app.root.winfo_fpixels("1i") / 96
    assert abs(units - dpi / 96) < 0.05  # the screen is what the test says it is
    # the first window is sized in font units: about twice as many pixels at 192 dpi, within the screen
    assert first[0] >= min(900 * units, app.root.winfo_screenwidth() * 0.85)
    loaded_and_received(app, key, tmp_path)
    for size in (app.min_size, first):
        resize(app, *size)
        for tab in (app.sender, app.receiver):
            assert out_of_reach(app, tab) == [], f"at {size[0]}x{size[1]}, {dpi} dpi"
    # 600x440 at 96 dpi; fonts do not grow exactly linearly, so allow a little less at 192
    assert app.min_size[0] >= 600 * units * 0.9 and app.min_size[1] >= 440 * units * 0.9
    assert app.min_size[0] <= app.root.winfo_screenwidth() / 2  # half a screen is allowed, at both dpis


def test_the_empty_view_s_hint_wraps_inside_it_at_the_minimum_size(make_app, key, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen, size=None)
    resize(app, *app.min_size)
    view = app.sender.view
    pump_until(app, lambda: not view._pending, what="the view laid out at the minimum size")
    left, _, right, _ = view.canvas.bbox(view._text)
    assert 0 <= left and right <= view.canvas.winfo_width(), (left, right, view.canvas.winfo_width())


def test_the_side_column_scrolls_when_the_window_is_small(make_app, key, tmp_path, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen, size=None)
    loaded_and_received(app, key, tmp_path)
    resize(app, *app.min_size)
    column = app.receiver.side
    pump_until(app, lambda: column.scrollable and column.bar.winfo_ismapped(), what="the column's scroll bar")
    before = column.canvas.yview()
    panel = app.receiver.panel  # a wheel notch down over the panels scrolls them
    panel.event_generate("<Button-5>", x=5, y=5)
    app.root.update()
    assert column.canvas.yview()[0] > before[0]
    column.canvas.yview_moveto(1.0)
    app.root.update()
    assert column.canvas.yview()[1] == pytest.approx(1.0) and column.canvas.yview() != before
    resize(app, app.root.winfo_screenwidth() - 40, app.root.winfo_screenheight() - 80)
    pump_until(app, lambda: column.canvas.winfo_height() > app.min_size[1] / 2, what="a taller column")
    # the bar is there exactly when the panels are taller than the column
    assert column.bar.winfo_ismapped() == (column.inner.winfo_reqheight() > column.canvas.winfo_height())


def test_rows_of_controls_wrap_instead_of_cutting_controls_off(make_app, key, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen, size=None)
    resize(app, *app.min_size)
    row = app.sender.open_button.master
    assert isinstance(row, FlowRow)
    tops = {widget.winfo_y() for widget in (app.sender.open_button, app.sender.qt_check)}
    assert len(tops) == 2  # Qt compatible went to a second line
    resize(app, app.root.winfo_screenwidth() - 40, app.min_size[1])
    check = app.sender.qt_check  # wide: back on one line (centred on it, so within a box's height)
    assert abs(app.sender.open_button.winfo_y() - check.winfo_y()) < check.winfo_height()


def test_long_text_ends_in_an_ellipsis_with_the_whole_in_a_tooltip(make_app, key, dpi, dpi_screen):
    app = make_app(key=key, screen=dpi_screen, size=None)
    resize(app, *app.min_size)
    long = "Received 7680x4320 RGBA under key " + repr("a-rather-long-key-" * 4) + ", and then some more words"
    app.status.say(long)
    app.root.update()
    label = app.status.message
    assert label.full_text == long + "." and app.status.text == long + "."
    assert label.shown_text.endswith(ELLIPSIS) and long.startswith(label.shown_text[:-1].rstrip())
    tip = tooltip_of(label)
    assert tip is not None and tip.text == long + "."
    tip.show()
    pump_until(app, lambda: tip.window is not None, what="the tooltip")
    tip.hide()
    app.status.say("Short.")
    app.root.update()
    assert label.shown_text == "Short." and tooltip_of(label).text == ""  # nothing hidden, no tip
    sysv = app.receiver.key_field.sysv_label
    app.receiver.key_field.var.set("k" * 80)
    app.notebook.select(app.receiver)
    app.root.update()
    assert sysv.full_text.startswith("System V key ") and sysv.winfo_width() <= app.root.winfo_width()


def test_enter_in_the_receivers_key_field_receives(make_app, key, tmp_path):
    path = tmp_path / "enter.png"
    stripes((90, 60)).save(path)
    app = make_app(key="nothing-here", send_file=str(path))
    pump_until(app, lambda: app.sender.shared, what="the share")
    app.notebook.select(app.receiver)
    app.root.update()  # the tab change puts the focus on Receive: then into the key field
    entry = app.receiver.key_field.entry
    app.root.focus_force()
    entry.focus_set()
    app.root.update()
    said = status_after(app, lambda: entry.event_generate("<Return>"))
    assert said.startswith("Received 90x60 RGB under key") and app.receiver.got is not None


@pytest.mark.parametrize("ext, lossy", [(".png", None), (".tif", None),
                                        (".jpg", "JPEG is lossy: it changes pixel values"),
                                        (".webp", "WebP is lossy: it changes pixel values"),
                                        (".gif", "GIF keeps at most 256 colours")])
def test_save_as_says_it_saves_then_what_and_whether_it_is_lossy(make_app, key, tmp_path, ext, lossy):
    path = tmp_path / "s.png"
    stripes((80, 50)).save(path)
    app = make_app(key=key, send_file=str(path), receive=True)
    pump_until(app, lambda: app.receiver.got, what="the image")
    out = tmp_path / "folder" / f"saved{ext}"
    out.parent.mkdir()
    asked = []
    app.receiver.ask_save_path = lambda parent, suggested: asked.append(suggested) or str(out)
    before = len(app.status.history)
    said = status_after(app, app.receiver.save_button.invoke)
    sentences = [text for _, _, text in app.status.history[before:]]
    assert sentences[0] == f"Saving saved{ext}..."
    assert said.startswith(f"Saved {out} (80x50 RGB)") and out.exists()
    if lossy:
        assert said == f"Saved {out} (80x50 RGB), not exactly: {lossy}; write .png to keep every value."
    else:
        assert said == f"Saved {out} (80x50 RGB)."
    assert app.settings.last_folder == str(out.parent)  # the next dialog starts there
    assert app.receiver.start_folder() == str(out.parent)


def test_save_as_refuses_a_format_that_would_lose_the_values(make_app, key, tmp_path):
    path = tmp_path / "floats.tif"
    Image.new("F", (40, 30), 1.5e9).save(path)
    app = make_app(key=key, send_file=str(path), receive=True)
    pump_until(app, lambda: app.receiver.got, what="the image")
    out = tmp_path / "floats.gif"
    app.receiver.ask_save_path = lambda parent, suggested: str(out)
    said = status_after(app, app.receiver.save_button.invoke)
    assert said == (f"cannot write {out}: GIF holds at most 8 bits per channel, so the 32-bit floating-point "
                    "values of this F image would be lost; write .tif to keep every value.")
    assert not out.exists()
