"""A bare ImageView (and panels) on a real Tk root at 96 or 192 dpi, for the inspecting tests."""

from __future__ import annotations

import gc
import os
import tkinter as tk
from collections.abc import Iterator

import pytest
from PIL import Image

from imgshare.image16 import Image16
from imgshare.views.imageview.display import display_base
from imgshare.views.imageview.view import ImageView
from tests.gui.support import pump_until


@pytest.fixture
def tk_root(dpi_screen: str) -> Iterator[tk.Tk]:
    """A real root on the 96-dpi screen or on the 192-dpi one (conftest's dpi_screen: a second Xvfb at
    -dpi 192), 900x640 at 96 dpi and twice that at 192; fails the test if a callback raised."""
    display = os.environ["DISPLAY"]
    root = tk.Tk(className="imgshare", screenName=dpi_screen)
    os.environ["DISPLAY"] = display  # Tk writes the display it opened into the environment: put ours back
    errors: list[BaseException] = []
    root.report_callback_exception = lambda kind, exc, trace: errors.append(exc)
    factor = root.winfo_fpixels("1i") / 96
    root.geometry(f"{round(900 * factor)}x{round(640 * factor)}+0+0")
    yield root
    root.destroy()
    gc.collect()  # Tk variables die here, on the Tk thread, not in some worker thread's collection
    assert not errors, f"Tk callbacks raised: {errors!r}"


def make_view(root: tk.Tk) -> ImageView:
    view = ImageView(root)
    view.pack(side="left", fill="both", expand=True)
    pump_until(root, root.winfo_viewable, what="the window to appear")
    pump_until(root, lambda: view.canvas.winfo_width() > 100, what="the canvas to get its size")
    return view


def show(view: ImageView, image: Image.Image | Image16) -> None:
    """Show image as the tabs do (display copy + the image itself) and wait until it is on screen."""
    view.show(display_base(image), source=image)
    settle(view)


def settle(view: ImageView, timeout: float = 30.0) -> None:
    pump_until(view, lambda: view.displayed_size is not None and not view.rendering, timeout,
               "the view to finish rendering")
