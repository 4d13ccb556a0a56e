"""The status bar: one sentence about the last thing that happened, errors in red."""

from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk

ERROR_COLOUR = "#b00020"


class StatusBar(ttk.Frame):
    """`status.say("Shared ...")`, `status.error("nothing is shared under ...")`; `status.text` reads it."""

    def __init__(self, master):
        super().__init__(master, padding=(6, 2))
        self._var = tk.StringVar(self, "Ready.")
        self._label = ttk.Label(self, textvariable=self._var, anchor="w")
        self._label.pack(side="left", fill="x", expand=True)
        self.is_error = False
        self.history: list[tuple[float, bool, str]] = []  # what was said, for tests and debugging

    @property
    def text(self) -> str:
        return self._var.get()

    def say(self, text: str) -> None:
        self._show(text, False)

    def error(self, text: str) -> None:
        self._show(text, True)

    def _show(self, text: str, is_error: bool) -> None:
        text = _sentence(text)
        self.is_error = is_error
        self.history.append((time.monotonic(), is_error, text))
        del self.history[:-50]
        self._var.set(text)
        self._label.configure(foreground=ERROR_COLOUR if is_error else "")


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


def show_busy(progress, busy: bool) -> None:
    """Show and run an indeterminate progress bar while a tab's worker has jobs, hide it after."""
    if busy:
        progress.pack(side="left", padx=(12, 0))
        progress.start(15)
    else:
        progress.stop()
        progress.pack_forget()
