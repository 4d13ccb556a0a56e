"""The inspector on a real Tk root at 96 and 192 dpi: the value of a clicked (pinned) or hovered pixel in
each of the 9 carried modes, the value range and display mapping of I;16 and F images, the histogram."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.image16 import Image16
from imgshare.views.inspector.panel import InspectorPanel
from tests.gui import viewsupport
from tests.gui.support import pump_until
from tests.gui.viewsupport import make_view, settle, show

tk_root = viewsupport.tk_root  # the fixture: a root on the 96-dpi screen and on the 192-dpi one

AT = (3, 2)  # the pixel each test image carries its value at


def image_with(mode: str, background, value) -> Image.Image:
    image = Image.new(mode, (8, 6), background)
    image.putpixel(AT, value)
    return image


def palette_image() -> Image.Image:
    image = image_with("P", 0, 5)
    image.putpalette([0, 0, 0] * 5 + [10, 200, 30] + [0, 0, 0] * 250)
    return image


# mode -> (image, the lines the panel shows for the pixel at AT): values written here by hand
CASES = {
    "1": (image_with("1", 0, 1), ["value  1"]),
    "L": (image_with("L", 0, 77), ["L      77"]),
    "LA": (image_with("LA", (0, 255), (77, 128)), ["L      77", "A      128"]),
    "P": (palette_image(), ["index  5", "colour #0ac81e (10, 200, 30)"]),
    "RGB": (image_with("RGB", (0, 0, 0), (1, 2, 3)), ["R      1", "G      2", "B      3"]),
    "RGBA": (image_with("RGBA", (0, 0, 0, 0), (250, 0, 7, 128)), ["R      250", "G      0", "B      7", "A      128"]),
    "I;16": (image_with("I;16", 1000, 65535), ["value  65535"]),
    "I": (image_with("I", 0, -2_000_000_000), ["value  -2000000000"]),
    "F": (image_with("F", 0.0, 0.1), ["value  0.100000001"]),
}


def inspector(root, image: Image.Image | Image16):
    view = make_view(root)
    panel = InspectorPanel(root, view)
    panel.pack(side="right", fill="y")
    show(view, image)
    pump_until(root, lambda: panel.computed, what="the histogram")
    return view, panel


def click(view, x: int, y: int) -> None:
    """Press and release the mouse over the middle of image pixel (x, y)."""
    wx, wy = view.window_point(x + 0.5, y + 0.5)
    view.canvas.event_generate("<ButtonPress-1>", x=int(wx), y=int(wy))
    view.canvas.event_generate("<ButtonRelease-1>", x=int(wx), y=int(wy))


@pytest.mark.parametrize("mode", list(CASES))
def test_a_clicked_pixel_shows_its_value_in_the_image_s_own_mode(tk_root, mode):
    image, lines = CASES[mode]
    assert image.mode == mode
    view, panel = inspector(tk_root, image)
    view.zoom_to(32.0)  # big pixels, so a click lands on the one meant
    settle(view)
    click(view, *AT)
    assert view.pinned == AT
    assert panel.position_var.get() == f"x 3, y 2 ({mode})"
    assert panel.value_var.get().split("\n") == lines
    assert panel.where_var.get().startswith("Pinned")
    # another pixel under the cursor does not replace a pinned one; a second click lets go
    wx, wy = view.window_point(0.5, 0.5)
    view.canvas.event_generate("<Motion>", x=int(wx), y=int(wy))
    assert panel.value_var.get().split("\n") == lines
    click(view, 0, 0)
    assert view.pinned is None
    view.canvas.event_generate("<Motion>", x=int(wx), y=int(wy))
    assert panel.position_var.get() == f"x 0, y 0 ({mode})" and panel.value_var.get().split("\n") != lines
    assert panel.where_var.get() == "Under the cursor"


def test_i16_range_and_a_chosen_window(tk_root):
    wide = Image.new("I", (40, 10), 1000)  # Pillow pastes a colour into I;16 wrongly: build it as I
    wide.paste(3000, (20, 0, 40, 10))
    wide.paste(2000, (10, 0, 20, 10))
    image = wide.convert("I;16")
    view, panel = inspector(tk_root, image)
    assert panel.values.winfo_ismapped()
    control = panel.range
    assert control.range_var.get() == "1000 to 3000"
    assert control.mapping_var.get() == "Shown: 1000 black, 3000 white"

    def shown_grey(x: int) -> int:
        value = view.colour_at(*view.window_point(x + 0.5, 5.5))
        assert value is not None
        return value[0]

    assert (shown_grey(5), shown_grey(15), shown_grey(30)) == (0, 128, 255)
    control.window_button.invoke()  # starts from the image's own range
    assert (control.low_entry.get(), control.high_entry.get()) == ("1000", "3000")
    control.low_entry.delete(0, "end")
    control.low_entry.insert(0, "1500")
    control.high_entry.delete(0, "end")
    control.high_entry.insert(0, "2500")
    control.apply_button.invoke()
    settle(view)
    assert view.mapping.low == 1500 and view.mapping.high == 2500
    assert (shown_grey(5), shown_grey(15), shown_grey(30)) == (0, 128, 255)
    control.high_entry.delete(0, "end")
    control.high_entry.insert(0, "1400")
    control.apply_button.invoke()
    assert control.message_var.get() == "Low must be below high." and view.mapping.high == 2500
    control.low_entry.delete(0, "end")
    control.low_entry.insert(0, "0")
    control.high_entry.delete(0, "end")
    control.high_entry.insert(0, "4000")
    control.apply_button.invoke()
    settle(view)
    assert (shown_grey(5), shown_grey(15), shown_grey(30)) == (64, 128, 191)
    control.auto_button.invoke()
    settle(view)
    assert view.mapping.auto and (shown_grey(5), shown_grey(15), shown_grey(30)) == (0, 128, 255)
    # the raw value is what the inspector shows, whatever the mapping
    click(view, 15, 5)
    assert panel.value_var.get() == "value  2000"


def test_float_range_and_histogram(tk_root):
    image = Image.new("F", (50, 4), -0.5)
    image.paste(1.5, (0, 0, 10, 4))
    image.paste(0.25, (10, 0, 30, 4))
    view, panel = inspector(tk_root, image)
    assert panel.range.range_var.get() == "-0.5 to 1.5"
    found = panel.stats.histogram
    assert (found.low, found.high) == (-0.5, 1.5) and len(found.channels) == 1
    counts = found.channels[0].counts
    assert (counts[0], counts[-1], sum(counts)) == (80, 40, 200)
    assert panel.low_var.get() == "-0.5" and panel.high_var.get() == "1.5"
    assert len(panel.canvas.find_all()) == 1


def test_rgb_histogram_and_8bit_modes_show_no_range(tk_root):
    image = Image.new("RGB", (30, 10), (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, 10, 10))
    view, panel = inspector(tk_root, image)
    assert not panel.values.winfo_ismapped()
    red, green, blue = panel.stats.histogram.channels
    assert (red.counts[255], red.counts[0], green.counts[0], blue.counts[255]) == (200, 100, 300, 100)
    assert len(panel.canvas.find_all()) == 3
    # a followed frame of another mode: the panel follows it
    view.show(Image.new("L", (4, 4), 9).convert("L"), keep_place=True, source=Image.new("I;16", (4, 4), 9))
    pump_until(tk_root, lambda: panel.stats.image.mode == "I;16", what="the new image's histogram")
    assert panel.values.winfo_ismapped() and panel.range.range_var.get() == "9 to 9"


@pytest.mark.parametrize("mode,value,lines", [
    ("RGB;16", (1, 40000, 65535), ["R      1", "G      40000", "B      65535"]),
    ("RGBA;16", (258, 0, 7, 65535), ["R      258", "G      0", "B      7", "A      65535"]),
])
def test_16_bit_colour_shows_scaled_and_inspects_its_true_values(tk_root, mode, value, lines):
    """Issue 18: RGB;16 and RGBA;16 show on screen scaled to 8 bits (each sample's high byte) while the
    inspector reads the true 16-bit values, and the histogram counts them per channel over 0..65535."""
    import struct

    from imgshare.image16 import Image16
    samples = len(value)
    data = bytearray(8 * 6 * samples * 2)
    at = (AT[1] * 8 + AT[0]) * samples * 2
    data[at:at + samples * 2] = struct.pack(f"<{samples}H", *value)
    image = Image16(mode, (8, 6), bytes(data))
    view, panel = inspector(tk_root, image)
    view.zoom_to(32.0)
    settle(view)
    click(view, *AT)
    assert panel.position_var.get() == f"x 3, y 2 ({mode})"
    assert panel.value_var.get().split("\n") == lines
    assert not panel.values.winfo_ismapped()  # no value window: 16-bit colour always shows its high bytes
    shown = view.tk.call(str(view._photo), "get", *(int(c) for c in _photo_point(view, *AT)))
    assert tuple(int(v) for v in shown)[:3] == tuple(v >> 8 for v in value[:3])
    histogram = panel.stats.histogram
    assert [channel.name for channel in histogram.channels] == list("RGBA"[:samples])
    assert (histogram.low, histogram.high) == (0.0, 65535.0)


def _photo_point(view, x: int, y: int) -> tuple[float, float]:
    wx, wy = view.window_point(x + 0.5, y + 0.5)
    item = view.canvas.coords(view._item)
    return view.canvas.canvasx(wx) - item[0], view.canvas.canvasy(wy) - item[1]
