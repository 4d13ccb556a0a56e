"""A one-line label that ends in "…" when its text is wider than the room it has; the whole text is
in its tooltip. It asks for little width, so a long sentence never widens the window's minimum size."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from .tooltip import add_tooltip

ELLIPSIS = "\u2026"


def elided(text: str, fits: Callable[[str], bool]) -> str:
    """text, or its longest beginning + "…" that fits (binary search over the length)."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS):
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


class ElidingLabel(ttk.Label):
    """`label.set(text)`; `label.full_text` is the whole, `label.shown_text` what fits on screen."""

    def __init__(self, master: tk.Misc, text: str = "", min_chars: int = 8, **options: Any):
        super().__init__(master, **options)
        self.full_text = text
        self.configure(width=min_chars)  # the requested width, in average characters
        self.bind("<Configure>", lambda _e: self._fit())
        add_tooltip(self, lambda: self.full_text if self.shown_text != self.full_text else "")
        self._fit()

    @property
    def shown_text(self) -> str:
        return str(self.cget("text"))

    def set(self, text: str) -> None:
        self.full_text = text
        self._fit()

    def _fit(self) -> None:
        room = self.winfo_width()
        if room <= 1:  # not laid out yet: show everything, fit at the first <Configure>
            self.configure(text=self.full_text)
            return
        font = tkfont.nametofont(str(self.cget("font") or "TkDefaultFont"), root=self)
        padding = 4  # ttk's label padding and border, so the last letter is never clipped
        self.configure(text=elided(self.full_text, lambda t: font.measure(t) + padding <= room))
