"""A side column that scrolls vertically when its panels are taller than the window, so a small
window (or a 192-dpi screen) never cuts off the bottom panels; the scroll bar shows only when needed.

Put panels in `column.inner`. The wheel scrolls the column while the pointer is over it (one
window-wide binding that checks where the pointer is: the panels' own widgets would each need one).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from . import theme

WHEEL_UNITS = 2  # lines per wheel notch


class ScrollColumn(ttk.Frame):
    """`column.inner` holds the panels; `column.scrollable` says whether they overflow."""

    def __init__(self, master: tk.Misc):
        super().__init__(master)
        self.canvas = tk.Canvas(self, highlightthickness=0, borderwidth=0, width=1, height=1,
                                yscrollincrement=theme.units(self).line)
        self.bar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.bar.set)
        self.inner = ttk.Frame(self.canvas)
        self._window = self.canvas.create_window(0, 0, window=self.inner, anchor="nw")
        self.canvas.grid(row=0, column=0, sticky="ns")
        self.rowconfigure(0, weight=1)
        self.inner.bind("<Configure>", lambda _e: self._fit())
        self.canvas.bind("<Configure>", lambda _e: self._fit())
        self.bind("<<ThemeChanged>>", lambda _e: self._colour())
        for sequence in ("<Button-4>", "<Button-5>", "<MouseWheel>"):
            self.bind_all(sequence, self._scroll, add="+")
        self._colour()

    @property
    def scrollable(self) -> bool:
        return self.inner.winfo_reqheight() > self.canvas.winfo_height() > 1

    def _fit(self) -> None:
        """The canvas is as wide as the panels; the bar shows when they are taller than the room."""
        width, height = self.inner.winfo_reqwidth(), self.inner.winfo_reqheight()
        if int(str(self.canvas.cget("width"))) != width:
            self.canvas.configure(width=width)
        self.canvas.configure(scrollregion=(0, 0, width, height))
        if self.scrollable:
            self.bar.grid(row=0, column=1, sticky="ns")
        else:
            self.bar.grid_remove()
            self.canvas.yview_moveto(0)

    def _colour(self) -> None:
        self.canvas.configure(background=theme.palette(self).background)

    def _scroll(self, event: tk.Event) -> None:
        """A wheel notch anywhere in the window: scroll if it happened over this column."""
        if not self.winfo_exists() or not self.scrollable or int(event.state) & 0x4:  # Ctrl: zoom
            return
        over = self.winfo_containing(event.x_root, event.y_root)
        if over is None or not (str(over) == str(self) or str(over).startswith(f"{self}.")):
            return
        up = event.num == 4 or getattr(event, "delta", 0) > 0
        self.canvas.yview_scroll(-WHEEL_UNITS if up else WHEEL_UNITS, "units")
