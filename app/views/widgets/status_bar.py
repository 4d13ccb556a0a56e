"""The status bar: one sentence about the last thing that happened, errors in the theme's red; a
sentence wider than the window ends in "…" and shows whole in its tooltip (and in `history`)."""

from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk

from .eliding_label import ElidingLabel
from .flow_row import FlowRow
from .theme import units

HISTORY = 50  # sentences kept


class StatusBar(ttk.Frame):
    """`status.say("Shared ...")`, `status.error("nothing is shared under ...")`; `status.text` reads it."""

    def __init__(self, master: tk.Misc):
        pad = units(master).pad
        super().__init__(master, padding=(pad * 2, pad), style="Status.TFrame")
        self.message = ElidingLabel(self, "Ready.", anchor="w", style="Status.TLabel")  # the sentence shown
        self.zoom_label = ttk.Label(self, text="", style="Status.TLabel")  # the shown image's zoom
        self.zoom_label.pack(side="right", padx=(pad * 2, 0))
        self.message.pack(side="left", fill="x", expand=True)
        self.is_error = False
        self.history: list[tuple[float, bool, str]] = []  # what was said, for tests and debugging

    @property
    def text(self) -> str:
        return self.message.full_text

    def show_zoom(self, text: str) -> None:
        self.zoom_label.configure(text=text)

    def say(self, text: str) -> None:
        self._show(text, False)

    def error(self, text: str) -> None:
        self._show(text, True)

    def _show(self, text: str, is_error: bool) -> None:
        text = _sentence(text)
        self.is_error = is_error
        self.history.append((time.monotonic(), is_error, text))
        del self.history[:-HISTORY]
        self.message.set(text)
        self.message.configure(style="StatusError.TLabel" if is_error else "Status.TLabel")


def _sentence(text: str) -> str:
    """One line ending with a full stop, capitalised unless it starts with a name (a file, a key)."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    name = text.split(": ", 1)[0] if ": " in text else ""
    # "photo.png: no such file" keeps the file's own spelling
    if text.split(" ", 1)[0].isalpha() and "." not in name and "/" not in name:
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def show_busy(progress: ttk.Progressbar, busy: bool) -> None:
    """Show and run an indeterminate progress bar while a tab's worker has jobs, hide it after
    (the bar sits in a FlowRow, added hidden)."""
    row = progress.master
    assert isinstance(row, FlowRow)
    if busy:
        row.show(progress)
        progress.start(15)
    else:
        progress.stop()
        row.hide(progress)
