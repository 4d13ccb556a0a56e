"""A bare ImageView (and panels) on a real Tk root at 96 or 192 dpi, for the inspecting tests."""

from __future__ import annotations

import gc
import time
import tkinter as tk
from collections.abc import Callable, Iterator

import pytest
from PIL import Image

from imgshare.views.display import display_base
from imgshare.views.imageview import ImageView
from tests.gui.support import pump_until

DPIS = (96, 192)


@pytest.fixture(params=DPIS, ids=[f"{dpi}dpi" for dpi in DPIS])
def tk_root(request: pytest.FixtureRequest) -> Iterator[tk.Tk]:
    """A real root whose Tk scaling is that of a 96- or 192-dpi screen; fails the test if a callback raised."""
    root = tk.Tk(className="imgshare")
    # Tk keeps the X display open across roots and stores the scaling in it: put it back afterwards,
    # or every later root in this process would be at 192 dpi too
    before = root.tk.call("tk", "scaling")
    root.tk.call("tk", "scaling", request.param / 72.0)
    errors: list[BaseException] = []
    root.report_callback_exception = lambda kind, exc, trace: errors.append(exc)
    root.geometry("900x640+0+0")
    yield root
    root.tk.call("tk", "scaling", before)
    root.destroy()
    gc.collect()  # Tk variables die here, on the Tk thread, not in some worker thread's collection
    assert not errors, f"Tk callbacks raised: {errors!r}"


def make_view(root: tk.Tk) -> ImageView:
    view = ImageView(root)
    view.pack(side="left", fill="both", expand=True)
    pump_until(root, root.winfo_viewable, what="the window to appear")
    pump_until(root, lambda: view.canvas.winfo_width() > 100, what="the canvas to get its size")
    return view


def show(view: ImageView, image: Image.Image) -> None:
    """Show image as the tabs do (display copy + the image itself) and wait until it is on screen."""
    view.show(display_base(image), source=image)
    settle(view)


def settle(view: ImageView, timeout: float = 30.0) -> None:
    pump_until(view, lambda: view.displayed_size is not None and not view.rendering, timeout,
               "the view to finish rendering")


def tick_gaps(root: tk.Tk) -> tuple[list[float], Callable[[], None]]:
    """Start a 10 ms ticker on root; returns the list its ticks go into and a function to stop it."""
    ticks: list[float] = []
    state = {"after": ""}

    def tick() -> None:
        ticks.append(time.monotonic())
        state["after"] = root.after(10, tick)

    state["after"] = root.after(10, tick)
    return ticks, lambda: root.after_cancel(state["after"])
