"""Ways to look at a comparison besides the highlight: Blink flips the view between the expected and
the received image, and Side by side opens a window with both next to each other."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from PIL import Image

from ...image16 import Image16
from ..imageview.display import display_base
from ..imageview.view import ImageView
from ..widgets.theme import units

BLINK_MS = 600  # long enough to see each image, short enough to catch what moves


class Blinker:
    """Calls show(True) and show(False) by turns every BLINK_MS while running (True: the expected)."""

    def __init__(self, widget: tk.Misc, show: Callable[[bool], None]):
        self._widget = widget
        self._show = show
        self._after: str | None = None
        self.expected_shown = False

    @property
    def running(self) -> bool:
        return self._after is not None

    def start(self) -> None:
        if self._after is None:
            self._tick()

    def stop(self) -> None:
        if self._after is not None:
            self._widget.after_cancel(self._after)
            self._after = None
        if self.expected_shown:
            self.expected_shown = False
            self._show(False)

    def _tick(self) -> None:
        self.expected_shown = not self.expected_shown
        self._show(self.expected_shown)
        self._after = self._widget.after(BLINK_MS, self._tick)


class SideBySide(tk.Toplevel):
    """The expected image and the received one, each in its own view (zoom and pan them alike or apart)."""

    def __init__(self, master: tk.Misc, expected: Image.Image | Image16, expected_name: str,
                 received: Image.Image | Image16):
        super().__init__(master)
        u = units(self)
        self.title(f"{expected_name} and the received image side by side – imgshare")
        frame = ttk.Frame(self, padding=u.pad * 2)
        frame.pack(fill="both", expand=True)
        self.views: list[ImageView] = []
        for column, (label, image) in enumerate(((f"Expected: {expected_name}", expected), ("Received", received))):
            ttk.Label(frame, text=label).grid(row=0, column=column, sticky="w")
            view = ImageView(frame, minimum=(u.char * 40, u.line * 16))
            view.grid(row=1, column=column, sticky="nsew", padx=(0 if column == 0 else u.pad * 2, 0))
            frame.columnconfigure(column, weight=1)
            view.show(display_base(image), source=image)
            self.views.append(view)
        frame.rowconfigure(1, weight=1)
        self.bind("<Escape>", lambda _e: self.destroy())

    def update_images(self, expected: Image.Image | Image16, received: Image.Image | Image16) -> None:
        for view, image in zip(self.views, (expected, received), strict=True):
            view.show(display_base(image), keep_place=True, source=image)
