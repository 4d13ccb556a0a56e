"""A row of controls that wraps onto a second line when the window is too narrow for it.

Buttons and check boxes in a plain packed row disappear off the right edge of a narrow window (or of
any window at 192 dpi); here each control keeps its requested width and moves to the next line instead,
so every control stays reachable at every size the window allows. The row asks its master for the
width of its widest control only, and for the height its lines take at the width it was given.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk


class FlowRow(ttk.Frame):
    """`row.add(widget)` in order (widget's master must be the row); `row.hide(w)` / `row.show(w)`."""

    def __init__(self, master: tk.Misc, gap: int = 6, line_gap: int = 4):
        super().__init__(master)
        self.gap, self.line_gap = gap, line_gap
        self._items: list[tuple[tk.Widget, int]] = []  # the widget and the extra space before it
        self._hidden: set[str] = set()
        self._after: str | None = None
        self.bind("<Configure>", lambda _e: self._arrange())

    def add(self, widget: tk.Widget, before: int = 0, hidden: bool = False) -> None:
        self._items.append((widget, before))
        if hidden:
            self._hidden.add(str(widget))
        widget.bind("<Configure>", lambda _e: self._soon(), add="+")
        self._soon()

    def show(self, widget: tk.Widget) -> None:
        self._hidden.discard(str(widget))
        self._soon()

    def hide(self, widget: tk.Widget) -> None:
        self._hidden.add(str(widget))
        widget.place_forget()
        self._soon()

    def shown(self, widget: tk.Widget) -> bool:
        return str(widget) not in self._hidden

    def _soon(self) -> None:
        if self._after is None:
            self._after = self.after_idle(self._arrange)

    def _arrange(self) -> None:
        self._after = None
        width = max(1, self.winfo_width())
        lines: list[list[tuple[tk.Widget, int, int, int]]] = [[]]  # widget, x, width, height
        x, widest = 0, 1
        for widget, before in self._items:
            if str(widget) in self._hidden:
                continue
            w, h = widget.winfo_reqwidth(), widget.winfo_reqheight()
            widest = max(widest, w)
            gap = (self.gap + before) if x else 0
            if x and x + gap + w > width:  # does not fit: start a new line
                lines.append([])
                x, gap = 0, 0
            lines[-1].append((widget, x + gap, w, h))
            x += gap + w
        y = 0
        for line in lines:
            tallest = max((h for *_, h in line), default=0)
            for widget, left, w, h in line:  # centred on the line: check boxes beside taller buttons
                widget.place(x=left, y=y + (tallest - h) // 2, width=w, height=h)
            y += tallest + self.line_gap
        height = max(1, y - self.line_gap)
        if int(str(self.cget("height") or 0)) != height or int(str(self.cget("width") or 0)) != widest:
            self.configure(height=height, width=widest)
