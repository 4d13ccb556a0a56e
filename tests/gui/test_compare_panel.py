"""The compare panel on a real Tk root at 96 and 192 dpi: exact, changed pixels with the right count and
largest difference, the highlight over the image, each new followed frame compared, and a bad file."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.ipc import Sender
from imgshare.views.imageview.display import display_base
from imgshare.views.imageview.render import Renderer
from imgshare.views.receiver import compare_model
from imgshare.views.receiver.compare_panel import ComparePanel
from tests.gui import viewsupport
from tests.gui.support import pump_until, ran_off_the_tk_thread, record_threads
from tests.gui.viewsupport import make_view, settle, show
from tests.images import pixel

tk_root = viewsupport.tk_root  # the fixture: a root on the 96-dpi screen and on the 192-dpi one

SIZE = (64, 48)
CHANGED = {(3, 4): (40, 0, 0), (10, 10): (0, 0, 7), (63, 47): (1, 1, 1), (20, 30): (0, 2, 0), (5, 40): (9, 0, 0)}


def received_image() -> Image.Image:
    image = Image.new("RGB", SIZE, (100, 120, 140))
    image.paste((30, 60, 90), (0, 0, 32, 24))
    return image


def changed_copy(image: Image.Image) -> Image.Image:
    other = image.copy()
    for where, delta in CHANGED.items():
        other.putpixel(where, tuple(v + d for v, d in zip(pixel(image, where), delta, strict=True)))
    return other


def panel_with(root, received: dict):
    view = make_view(root)
    panel = ComparePanel(root, view, lambda: received.get("image"))
    panel.pack(side="right", fill="y")
    said: list[str] = []
    panel.on_result = said.append
    if received.get("image") is not None:
        show(view, received["image"])
    return view, panel, said


def compare_with(panel: ComparePanel, path) -> None:
    before = panel.compared
    panel.ask_open_path = lambda parent: str(path)
    panel.compare_button.invoke()
    pump_until(panel, lambda: panel.compared > before or panel.result_var.get().startswith("Cannot"),
               what="the comparison")


def drawn(view, x: int, y: int) -> tuple[int, ...]:
    """The colour on screen over image pixel (x, y)."""
    value = view.colour_at(*view.window_point(x + 0.5, y + 0.5))
    assert value is not None
    return value


def test_exact_then_changed_with_count_maximum_and_highlight(tk_root, tmp_path):
    image = received_image()
    received = {"image": image}
    view, panel, said = panel_with(tk_root, received)
    image.save(tmp_path / "same.png")
    compare_with(panel, tmp_path / "same.png")
    assert panel.result.exact and panel.result_var.get() == "Pixel-exact: 64x48 RGB"
    assert said[-1] == "Compared with same.png: pixel-exact: 64x48 RGB"
    assert str(panel.show_check.cget("state")) == "disabled"

    changed_copy(image).save(tmp_path / "expected.png")
    compare_with(panel, tmp_path / "expected.png")
    assert not panel.result.exact and panel.result.differing == 5
    assert panel.result_var.get() == "Differs: 5 of 3072 pixels (0.16%); largest difference R 40, G 2, B 7"
    assert panel.expected_var.get() == "Expected: expected.png (64x48 RGB)"
    view.zoom_to(8.0)
    settle(view)
    view.canvas.xview_moveto(0)
    view.canvas.yview_moveto(0)
    settle(view)
    assert drawn(view, 3, 4) == image.getpixel((3, 4))
    panel.show_check.invoke()
    settle(view)
    assert drawn(view, 3, 4) == (255, 0, 200) and drawn(view, 4, 4) != (255, 0, 200)
    assert max(drawn(view, 4, 4)) < max(pixel(image, (4, 4)))  # the rest is dimmed
    panel.show_check.invoke()
    settle(view)
    assert drawn(view, 3, 4) == image.getpixel((3, 4))


def test_each_new_frame_is_compared(tk_root, tmp_path):
    image = received_image()
    received = {"image": image}
    view, panel, said = panel_with(tk_root, received)
    image.save(tmp_path / "expected.png")
    compare_with(panel, tmp_path / "expected.png")
    assert panel.result.exact
    panel.show_var.set(True)
    for n, frame in enumerate([changed_copy(image), image.copy(), changed_copy(changed_copy(image))]):
        received["image"] = frame
        view.show(display_base(frame), keep_place=True, source=frame)
        before = panel.compared
        panel.refresh()
        pump_until(tk_root, lambda before=before: panel.compared > before, what=f"frame {n} compared")
        assert panel.result.differing == (0 if n == 1 else 5), panel.result_var.get()
    assert said[-1].startswith("Compared with expected.png: differs: 5 of 3072 pixels")
    assert "largest difference R 80, G 4, B 14" in panel.result_var.get()
    panel.refresh()  # the same frame again: nothing to do
    assert not panel.busy
    panel.clear_button.invoke()
    assert panel.result is None and panel.result_var.get() == ""


def test_a_size_mismatch_a_bad_file_and_nothing_received(tk_root, tmp_path):
    received: dict = {}
    view, panel, said = panel_with(tk_root, received)
    panel.compare_button.invoke()
    assert said[-1] == "Receive an image first, then compare it with a file"
    received["image"] = received_image()
    show(view, received["image"])
    Image.new("RGB", (48, 64)).save(tmp_path / "turned.png")
    compare_with(panel, tmp_path / "turned.png")
    assert panel.result_var.get() == "Differs: the size is 64x48, expected 48x64"
    (tmp_path / "notes.txt").write_text("not an image")
    compare_with(panel, tmp_path / "notes.txt")
    assert panel.result_var.get() == f"Cannot compare: {tmp_path / 'notes.txt'}: not an image file Pillow can read"


def test_the_receiver_tab_compares_each_followed_frame_and_says_the_count(make_app, key, dpi_screen, tmp_path):
    """The whole window: receive, Compare with file..., then Follow while the sender changes pixels."""
    image = received_image()
    image.save(tmp_path / "expected.png")
    app = make_app(key=key, screen=dpi_screen)
    tab = app.receiver
    app.notebook.select(tab)
    with Sender(key) as sender:
        sender.share(image)
        tab.receive_button.invoke()
        pump_until(app, lambda: tab.got is not None, what="the image")
        compare_with(tab.compare, tmp_path / "expected.png")
        assert tab.compare.result_var.get() == "Pixel-exact: 64x48 RGB"
        assert app.status.text.startswith("Compared with expected.png: pixel-exact")
        tab.follow_check.invoke()
        for n, frame in enumerate([changed_copy(image), image, changed_copy(changed_copy(image))], start=2):
            before = tab.compare.compared
            sender.share(frame)
            pump_until(app, lambda n=n, before=before: tab.got.info.sequence == n and tab.compare.compared > before
                       and tab.compare.outcome.received is tab.got.image, what=f"frame {n} compared")
            said = [text for _, _, text in app.status.history if text.startswith("Compared with")][-1]
            if n == 3:
                assert tab.compare.result.exact
                assert said.startswith("Compared with expected.png: pixel-exact: 64x48 RGB")
            else:
                assert tab.compare.result.differing == 5
                assert said.startswith("Compared with expected.png: differs: 5 of 3072 pixels")
        tab.follow_check.invoke()


@pytest.mark.slow  # an 8K image: memory and time the quick tier does without
def test_comparing_an_8k_image_runs_off_the_tk_thread(tk_root, tmp_path, monkeypatch):
    """Loading the expected file, comparing and drawing the differences run in workers
    (bench/gui_big_image.py measures the loop's stalls meanwhile)."""
    grey = Image.linear_gradient("L").resize((7680, 4320))
    image = Image.merge("RGBA", (grey, grey, Image.new("L", grey.size, 50), Image.new("L", grey.size, 255)))
    expected = image.copy()
    expected.putpixel((7000, 4000), (0, 0, 0, 0))
    expected.save(tmp_path / "expected.tif")
    calls = record_threads(monkeypatch, (compare_model, "load_expected"), (compare_model, "compare_images"),
                           (Renderer, "fit"))
    view, panel, said = panel_with(tk_root, {"image": image})
    compare_with(panel, tmp_path / "expected.tif")
    panel.show_check.invoke()
    settle(view, timeout=60)
    assert panel.result.differing == 1
    ran_off_the_tk_thread(calls)


def test_differences_stay_visible_at_any_zoom_out():
    """Issue 17 point 18: two differing pixels of a 3000x2000 image, fitted into 300x200 or zoomed to
    10%, each still paint at least one screen pixel in the highlight colour (no Tk needed)."""
    import numpy as np

    from imgshare.golden.highlight import HIGHLIGHT, difference_overlay
    from imgshare.views.imageview.display import ValueMapping
    from imgshare.views.imageview.render import Inputs, MarkedOverlay, Renderer

    base = Image.new("RGB", (3000, 2000), (90, 140, 200))
    mask = np.zeros((2000, 3000), dtype=bool)
    mask[17, 33] = mask[1999, 2999] = True
    plain = Inputs(base, None, ValueMapping(), lambda b: difference_overlay(b, mask))
    marked = Inputs(base, None, ValueMapping(), MarkedOverlay(lambda b: difference_overlay(b, mask), mask,
                                                                HIGHLIGHT))
    for render in (lambda inputs: Renderer().fit(inputs, (300, 200)),
                   lambda inputs: Renderer().zoomed(inputs, 0.1, (0, 0, 300, 200))):
        assert HIGHLIGHT not in {c for _, c in render(plain).getcolors(1 << 16)}  # averaged away before
        shown = render(marked)
        spots = [(x, y) for y in range(shown.height) for x in range(shown.width)
                 if shown.getpixel((x, y)) == HIGHLIGHT]
        assert spots == [(3, 1), (299, 199)]
