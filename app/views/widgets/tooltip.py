"""Tooltips: a short explanation that appears under a control when the pointer rests on it.

`add_tooltip(widget, "text")` or `add_tooltip(widget, lambda: current_text)` (a callable is read each
time the tip opens, for labels whose whole text is longer than what fits). Colours come from the
theme's palette, so the tip follows a light/dark switch.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from . import theme

DELAY_MS = 600  # how long the pointer rests before the tip opens, as desktop toolkits do
WRAP_CHARS = 48  # a tip wider than this many characters wraps


class Tooltip:
    """The tip of one widget; `tip.text` is what it says now, `tip.window` is the open tip or None."""

    def __init__(self, widget: tk.Misc, text: str | Callable[[], str]):
        self.widget = widget
        self._text = text
        self.window: tk.Toplevel | None = None
        self._after: str | None = None
        widget.bind("<Enter>", self._schedule, add="+")
        widget.bind("<Leave>", self.hide, add="+")
        widget.bind("<ButtonPress>", self.hide, add="+")
        widget.bind("<Destroy>", self.hide, add="+")

    @property
    def text(self) -> str:
        return self._text() if callable(self._text) else self._text

    def set_text(self, text: str | Callable[[], str]) -> None:
        self._text = text

    def show(self) -> None:
        """Open the tip now, under the widget (tests and the keyboard call this directly)."""
        self._cancel()
        text = self.text
        if not text or self.window is not None or not self.widget.winfo_viewable():
            return
        colours, u = theme.palette(self.widget), theme.units(self.widget)
        tip = tk.Toplevel(self.widget, background=colours.tooltip, borderwidth=0)
        tip.wm_overrideredirect(True)
        label = ttk.Label(tip, text=text, background=colours.tooltip, foreground=colours.tooltip_foreground,
                          wraplength=u.chars(WRAP_CHARS), justify="left", padding=(u.pad * 2, u.pad))
        label.pack()
        tip.update_idletasks()
        x = self.widget.winfo_rootx()
        y = self.widget.winfo_rooty() + self.widget.winfo_height() + u.pad
        # keep the whole tip on the screen
        x = max(0, min(x, self.widget.winfo_screenwidth() - tip.winfo_reqwidth()))
        if y + tip.winfo_reqheight() > self.widget.winfo_screenheight():
            y = self.widget.winfo_rooty() - tip.winfo_reqheight() - u.pad
        tip.wm_geometry(f"+{x}+{y}")
        self.window = tip

    def hide(self, _event: object = None) -> None:
        self._cancel()
        if self.window is not None:
            try:
                self.window.destroy()
            except tk.TclError:  # already gone with its parent
                pass
            self.window = None

    def _schedule(self, _event: object = None) -> None:
        self._cancel()
        self._after = self.widget.after(DELAY_MS, self.show)

    def _cancel(self) -> None:
        if self._after is not None:
            try:
                self.widget.after_cancel(self._after)
            except tk.TclError:
                pass
            self._after = None


def add_tooltip(widget: tk.Misc, text: str | Callable[[], str]) -> Tooltip:
    """Give widget a tooltip (kept on the widget as `widget.tooltip` so it lives as long as it does)."""
    tip = Tooltip(widget, text)
    widget.tooltip = tip  # type: ignore[attr-defined]
    return tip


def tooltip_of(widget: tk.Misc) -> Tooltip | None:
    tip = getattr(widget, "tooltip", None)
    return tip if isinstance(tip, Tooltip) else None
