"""The compare panel as a golden-image tool, on a real Tk root at 96 and 192 dpi: the sidecar's
tolerances shown and used, a threshold typed in, regions drawn with the mouse (listed, removable,
saved beside the golden), PSNR and SSIM, next / previous difference and the bounding box, Blink, Side
by side, and Accept as expected (after confirmation)."""

from __future__ import annotations

import json

from PIL import Image

from imgshare.views.receiver.compare_panel import ComparePanel
from tests.gui import viewsupport
from tests.gui.support import pump_until
from tests.gui.viewsupport import make_view, settle, show

tk_root = viewsupport.tk_root

SIZE = (80, 60)
CHANGED = [(10, 12), (70, 50)]  # two strong differences
FAINT = (40, 30)  # one faint difference: within threshold 0.1


def pictures():
    expected = Image.new("RGB", SIZE, (100, 120, 140))
    expected.paste((30, 60, 90), (0, 0, 40, 30))
    received = expected.copy()
    for where in CHANGED:
        received.putpixel(where, (255, 255, 0))
    received.putpixel(FAINT, (101, 120, 140))
    return expected, received


def setup(root, tmp_path, sidecar: dict | None = None):
    expected, received = pictures()
    expected.save(tmp_path / "golden.png")
    if sidecar is not None:
        (tmp_path / "golden.imgshare.json").write_text(json.dumps(sidecar))
    view = make_view(root)
    panel = ComparePanel(root, view, lambda: received)
    panel.pack(side="right", fill="y")
    said: list[str] = []
    panel.on_result = said.append
    show(view, received)
    return view, panel, said, received


def compared(panel, action) -> None:
    before = panel.compared
    action()
    pump_until(panel, lambda: panel.compared > before or panel.result_var.get().startswith("Cannot"),
               what="the comparison")


def press_return(entry) -> None:
    """Enter in a field, as typed: key events go to the widget with the focus."""
    entry.focus_force()
    entry.update()
    entry.event_generate("<Return>")


def open_golden(panel, tmp_path) -> None:
    panel.ask_open_path = lambda parent: str(tmp_path / "golden.png")
    compared(panel, panel.compare_button.invoke)


def test_the_sidecar_is_read_a_threshold_typed_in_and_metrics_shown(tk_root, tmp_path):
    view, panel, said, received = setup(tk_root, tmp_path, {"threshold": 0.1})
    open_golden(panel, tmp_path)
    assert panel.tolerances.threshold_var.get() == "0.1"  # from golden.imgshare.json
    assert panel.result.differing == 2 and not panel.result.passed
    assert panel.result_var.get().startswith("Differs: 2 of 4800 pixels")
    panel.tolerances.allowed_var.set("2")
    compared(panel, lambda: press_return(panel.tolerances.allowed))
    assert panel.result.passed
    assert panel.result_var.get().startswith("Passes: 2 of 4800 pixels (0.04%) differ, 2 allowed")
    panel.tolerances.threshold_var.set("0")
    compared(panel, lambda: press_return(panel.tolerances.threshold))
    assert panel.result.differing == 3  # the faint one too
    compared(panel, panel.tolerances.metrics_check.invoke)
    assert panel.result.psnr is not None and 0 < panel.result.ssim < 1
    assert "PSNR" in panel.result_var.get() and "SSIM" in panel.result_var.get()
    panel.tolerances.threshold_var.set("two")
    press_return(panel.tolerances.threshold)
    pump_until(tk_root, lambda: panel.result_var.get().startswith("Cannot compare: the threshold 'two'"))


def test_next_previous_and_the_bounding_box_find_every_difference(tk_root, tmp_path):
    view, panel, said, received = setup(tk_root, tmp_path)
    open_golden(panel, tmp_path)
    assert panel.box_var.get() == "Differences inside x 10–70, y 12–50"
    visited = []
    for _ in range(4):
        panel.next_button.invoke()
        visited.append(view.pinned)
    assert visited == [(10, 12), (40, 30), (70, 50), (10, 12)]  # reading order, then round again
    assert view.scale == 8.0 and not view.fitted
    settle(view)
    x, y = view.window_point(10.5, 12.5)
    assert 0 < x < view.canvas.winfo_width() and 0 < y < view.canvas.winfo_height()  # on screen
    panel.previous_button.invoke()
    assert view.pinned == (70, 50)
    assert said[-1] == "Difference at x 70, y 50 (of 3)"
    view.zoom_fit()
    panel.zoom_button.invoke()
    settle(view)
    for corner in ((10, 12), (71, 51)):
        x, y = view.window_point(*corner)
        assert 0 <= x <= view.canvas.winfo_width() and 0 <= y <= view.canvas.winfo_height()
    assert view.scale > 1  # zoomed in on the 61x39 box, not fitted to 80x60


def drag(view, start, end) -> None:
    """Press on image pixel start, move to end, release: as a mouse would, through Tk's events."""
    canvas = view.canvas
    x0, y0 = view.window_point(start[0] + 0.5, start[1] + 0.5)
    x1, y1 = view.window_point(end[0] + 0.5, end[1] + 0.5)
    canvas.event_generate("<ButtonPress-1>", x=int(x0), y=int(y0))
    canvas.event_generate("<B1-Motion>", x=int((x0 + x1) / 2), y=int((y0 + y1) / 2))
    canvas.event_generate("<B1-Motion>", x=int(x1), y=int(y1))
    canvas.event_generate("<ButtonRelease-1>", x=int(x1), y=int(y1))


def test_regions_are_drawn_with_the_mouse_listed_removed_and_saved(tk_root, tmp_path):
    view, panel, said, received = setup(tk_root, tmp_path)
    open_golden(panel, tmp_path)
    view.zoom_to(4.0)
    view.canvas.xview_moveto(0)
    view.canvas.yview_moveto(0)
    settle(view)
    panel.tolerances.draw_button.invoke()
    assert view.on_rectangle is not None
    compared(panel, lambda: drag(view, (8, 10), (12, 14)))
    assert panel.tolerances.region_texts() == ["5x5 at 8,10"]
    assert panel.result.differing == 2 and panel.result.ignored == 25
    assert view.on_rectangle is None and view.pinned is None  # one rectangle, then back to pinning
    panel.tolerances.save_button.invoke()
    sidecar = json.loads((tmp_path / "golden.imgshare.json").read_text())
    assert sidecar == {"ignore": [[8, 10, 5, 5]]}
    assert said[-1] == f"Saved the tolerances and regions of golden.png in {tmp_path / 'golden.imgshare.json'}"
    regions = panel.tolerances.region_list
    regions.selection_set(regions.get_children()[0])
    pump_until(tk_root, lambda: str(panel.tolerances.remove_button.cget("state")) == "normal")
    compared(panel, panel.tolerances.remove_button.invoke)
    assert panel.tolerances.region_texts() == [] and panel.result.differing == 3


def test_blink_side_by_side_and_accept_as_expected(tk_root, tmp_path):
    view, panel, said, received = setup(tk_root, tmp_path)
    open_golden(panel, tmp_path)
    expected_colour = Image.open(tmp_path / "golden.png").getpixel((10, 12))
    panel.blink_check.invoke()
    seen = set()
    pump_until(tk_root, lambda: (settle(view), seen.add(panel._blinker.expected_shown),
                                 len(seen) == 2)[-1], timeout=20, what="both phases of the blink")
    panel.blink_check.invoke()
    assert not panel._blinker.running and not panel._blinker.expected_shown
    panel.side_button.invoke()
    side = panel._side
    pump_until(tk_root, lambda: side.winfo_viewable() and all(v.displayed_size for v in side.views),
               what="the side-by-side window")
    assert [v.image.getpixel((10, 12)) for v in side.views] == [expected_colour, (255, 255, 0)]
    asked = []
    panel.ask_accept = lambda parent, path: asked.append(path) or False
    panel.accept_button.invoke()
    assert asked == [str(tmp_path / "golden.png")] and not panel.result.passed  # declined: nothing written
    assert Image.open(tmp_path / "golden.png").getpixel((10, 12)) == expected_colour
    panel.ask_accept = lambda parent, path: True
    compared(panel, panel.accept_button.invoke)
    assert panel.result.exact and Image.open(tmp_path / "golden.png").getpixel((10, 12)) == (255, 255, 0)
    assert said[-1] == f"Accepted the received image as {tmp_path / 'golden.png'}"
    panel.clear_button.invoke()
    assert not side.winfo_exists()


def test_compare_folders_shows_progress_and_writes_the_report(tk_root, tmp_path):
    """A batch from the window: it runs in the worker (the window keeps drawing), the progress bar
    moves, and the report is written and handed to the browser."""
    from tests.golden.tools import scene
    view, panel, said, received = setup(tk_root, tmp_path)
    actual, expected, report = tmp_path / "actual", tmp_path / "expected", tmp_path / "report"
    actual.mkdir()
    expected.mkdir()
    for n in range(6):
        picture = scene((320, 240), n)
        picture.save(expected / f"{n}.png")
        if n == 2:
            picture.putpixel((5, 5), (0, 0, 0, 255))
        picture.save(actual / f"{n}.png")
    panel.ask_folders = lambda parent: (str(actual), str(expected), str(report))
    opened, progress = [], []
    panel.open_report = opened.append
    original = panel._progressed
    panel._progressed = lambda done: (progress.append(done), original(done))
    panel.folders_button.invoke()
    pump_until(tk_root, lambda: opened, timeout=60, what="the folder comparison")
    assert opened == [str(report / "index.html")] and (report / "junit.xml").exists()
    assert (panel.batch_done.passed, panel.batch_done.failed) == (5, 1)
    assert said[-1] == f"1 failed, 5 passed; the report is {report / 'index.html'}"
    assert progress and progress[-1] == 1.0 and not panel.progress.winfo_ismapped()
