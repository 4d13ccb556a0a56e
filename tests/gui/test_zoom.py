"""Zoom and pan in the image view, on a real Tk root at 96 and 192 dpi: the steps, Ctrl+wheel around the
cursor, the keys, drag to pan, wheel and Shift+wheel to scroll, and an 8K image drawn off the Tk
thread at every level."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.views.imageview.render import Renderer
from imgshare.views.imageview.zoom import MAX_SCALE, MIN_SCALE
from tests.gui import viewsupport
from tests.gui.support import pump_until, ran_off_the_tk_thread, record_threads
from tests.gui.viewsupport import make_view, settle, show

tk_root = viewsupport.tk_root  # the fixture: a root on the 96-dpi screen and on the 192-dpi one

CONTROL, SHIFT = 0x4, 0x1


def gradient(size=(300, 200)) -> Image.Image:
    grey = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), Image.new("L", size, 40)))


def wheel(view, x: int, y: int, up: bool, state: int = 0) -> None:
    view.canvas.event_generate("<Button-4>" if up else "<Button-5>", x=x, y=y, state=state)


def test_zoom_steps_from_fit_up_to_3200_percent_and_down_to_10(tk_root):
    view = make_view(tk_root)
    seen = []
    view.on_zoom_changed = seen.append
    show(view, gradient())
    assert view.fitted and view.zoom_text.startswith("Fit (")
    fit = view.scale
    view.zoom_in()
    settle(view)
    assert not view.fitted and view.scale > fit and view.zoom_text == f"{view.scale * 100:.0f}%"
    while view.scale < MAX_SCALE:
        view.zoom_in()
    settle(view)
    assert view.scale >= 32 and view.zoom_text == "6400%"
    view.zoom_actual()
    settle(view)
    assert view.zoom_text == "100%" and view.displayed_size == (300, 200)
    while view.scale > MIN_SCALE:
        view.zoom_out()
    settle(view)
    assert view.zoom_text == "10%" and view.displayed_size == (30, 20)
    view.zoom_fit()
    settle(view)
    assert view.fitted and view.zoom_text == seen[-1] and seen[-1].startswith("Fit (")
    assert "6400%" in seen and "10%" in seen and "100%" in seen


def test_ctrl_wheel_zooms_around_the_cursor(tk_root):
    view = make_view(tk_root)
    size = (view.canvas.winfo_width() * 2, view.canvas.winfo_height() * 2)  # larger than the view at 100%
    show(view, gradient(size))
    view.zoom_actual()
    settle(view)
    cursor = (view.canvas.winfo_width() // 3, view.canvas.winfo_height() // 4)
    for up in (True, True, True, True, False, True):
        before = view.image_point(*cursor)
        scale = view.scale
        wheel(view, *cursor, up=up, state=CONTROL)
        settle(view)
        after = view.image_point(*cursor)
        assert view.scale != scale
        # the same image point stays under the cursor (to within one screen pixel)
        assert abs(after[0] - before[0]) <= 1 / view.scale and abs(after[1] - before[1]) <= 1 / view.scale, \
            (before, after, view.zoom_text)
    assert view.zoom_text == "400%"
    # the view shows the part around the cursor: what is drawn there is the image's pixel there
    x, y = view.pixel_at(*cursor)
    assert view.colour_at(*cursor) == gradient(size).getpixel((x, y))


def test_zoom_keys(tk_root):
    view = make_view(tk_root)
    show(view, gradient())
    view.canvas.focus_force()
    pump_until(tk_root, lambda: tk_root.focus_get() is view.canvas, what="the view to take the focus")
    fit = view.scale
    for sequence, check in (("<Control-plus>", lambda: view.scale > fit),
                            ("<Control-Key-1>", lambda: view.zoom_text == "100%"),
                            ("<Control-minus>", lambda: view.zoom_text == "67%"),
                            ("<Control-Key-0>", lambda: view.fitted)):
        view.canvas.event_generate(sequence)
        settle(view)
        assert check(), (sequence, view.zoom_text)


def test_drag_pans_and_a_click_pins(tk_root):
    view = make_view(tk_root)
    image = gradient((view.canvas.winfo_width() // 2, view.canvas.winfo_height() // 2))  # twice the view at 400%
    show(view, image)
    view.zoom_to(4.0)
    settle(view)
    canvas = view.canvas
    start = canvas.canvasx(0), canvas.canvasy(0)
    canvas.event_generate("<ButtonPress-1>", x=300, y=300)
    for step in range(1, 11):
        canvas.event_generate("<B1-Motion>", x=300 - 10 * step, y=300 - 6 * step, state=0x100)
    canvas.event_generate("<ButtonRelease-1>", x=200, y=240)
    settle(view)
    assert (canvas.canvasx(0) - start[0], canvas.canvasy(0) - start[1]) == (100, 60)
    assert view.pinned is None  # a drag is not a click
    assert view.displayed_size == (canvas.winfo_width(), canvas.winfo_height())  # the newly visible part drawn
    canvas.event_generate("<ButtonPress-1>", x=50, y=40)
    canvas.event_generate("<ButtonRelease-1>", x=50, y=40)
    expected = (int((50 + canvas.canvasx(0)) // view.scale), int((40 + canvas.canvasy(0)) // view.scale))
    assert view.pinned == expected
    assert view.pixel_value_text() == f"x {expected[0]}, y {expected[1]}, RGB: " + \
        "  ".join(f"{n} {v}" for n, v in zip("RGB", image.getpixel(expected), strict=True))
    canvas.event_generate("<Motion>", x=500, y=300)  # hovering elsewhere leaves the pinned pixel shown
    assert view.probe().x == expected[0]
    canvas.focus_force()
    pump_until(tk_root, lambda: tk_root.focus_get() is canvas, what="the focus")
    canvas.event_generate("<Escape>")
    assert view.pinned is None and view.probe().x == int((500 + canvas.canvasx(0)) // view.scale)


def test_wheel_scrolls_vertically_and_shift_wheel_horizontally(tk_root):
    view = make_view(tk_root)
    show(view, gradient((3000, 2000)))
    view.zoom_actual()  # around the centre
    canvas = view.canvas
    canvas.xview_moveto(0)
    canvas.yview_moveto(0)
    settle(view)
    line = view.tk.call("font", "metrics", "TkDefaultFont", "-linespace")
    wheel(view, 100, 100, up=False)
    assert (canvas.canvasx(0), canvas.canvasy(0)) == (0, 3 * line)
    wheel(view, 100, 100, up=False, state=SHIFT)
    wheel(view, 100, 100, up=False, state=SHIFT)
    assert (canvas.canvasx(0), canvas.canvasy(0)) == (6 * line, 3 * line)
    wheel(view, 100, 100, up=True)
    assert (canvas.canvasx(0), canvas.canvasy(0)) == (6 * line, 0)
    settle(view)
    assert view.drawn_box[0] == 6 * line  # the visible part was drawn again


@pytest.mark.slow  # an 8K image: memory and time the quick tier does without
def test_zooming_an_8k_image_draws_off_the_tk_thread(tk_root, monkeypatch):
    """Every zoom level of an 8K image is drawn in the view's worker (bench/gui_zoom.py measures the stalls)."""
    big = Image.linear_gradient("L").resize((7680, 4320))
    image = Image.merge("RGBA", (big, big.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                 Image.new("L", big.size, 90), Image.new("L", big.size, 200)))
    calls = record_threads(monkeypatch, (Renderer, "fit"), (Renderer, "zoomed"))
    view = make_view(tk_root)
    show(view, image)
    cursor = (view.canvas.winfo_width() // 2, view.canvas.winfo_height() // 2)
    for up in [True] * 14 + [False] * 19:  # fit -> 6400% -> 10%, one notch at a time
        wheel(view, *cursor, up=up, state=CONTROL)
        settle(view, timeout=60)
    view.zoom_fit()
    settle(view, timeout=60)
    assert view.zoom_text.startswith("Fit")
    assert len(calls["Renderer.zoomed"]) >= 20  # each level drawn (a burst may skip to the newest)
    ran_off_the_tk_thread(calls)
