"""A themed question with a list: what an action would do, then Cancel or the action (Escape cancels).

It does not block: the answer comes to a callback, and the window goes on meanwhile (its follow, its
animations); a grab keeps the rest of the window from taking input while the question is open.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from .theme import units

WRAP_CHARS = 64


class ConfirmDialog(tk.Toplevel):
    """`ConfirmDialog(master, title, text, lines, action, on_answer)`; on_answer(True) for the action."""

    def __init__(self, master: tk.Misc, title: str, text: str, lines: Sequence[str], action: str,
                 on_answer: Callable[[bool], None]):
        super().__init__(master)
        u = units(master)
        self.on_answer = on_answer
        self.answered = False
        self.title(title)
        self.transient(master.winfo_toplevel())
        body = ttk.Frame(self, padding=u.pad * 4)
        body.pack(fill="both", expand=True)
        ttk.Label(body, text=text, wraplength=u.chars(WRAP_CHARS), justify="left").pack(anchor="w")
        self.lines = list(lines)
        listing = ttk.Frame(body, padding=(u.pad * 2, u.pad * 2, 0, 0))
        listing.pack(fill="x")
        for line in self.lines:
            ttk.Label(listing, text=f"•  {line}", wraplength=u.chars(WRAP_CHARS), justify="left").pack(anchor="w")
        buttons = ttk.Frame(body, padding=(0, u.pad * 4, 0, 0))
        buttons.pack(fill="x")
        self.action_button = ttk.Button(buttons, text=action, style="Accent.TButton",
                                        command=lambda: self.answer(True))
        self.action_button.pack(side="right")
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=lambda: self.answer(False))
        self.cancel_button.pack(side="right", padx=(0, u.pad * 2))
        self.bind("<Escape>", lambda _e: self.answer(False))
        self.protocol("WM_DELETE_WINDOW", lambda: self.answer(False))
        self.cancel_button.focus_set()  # a destructive action is never the default
        self.bind("<Map>", lambda e: self._grab() if e.widget is self else None)

    def _grab(self) -> None:
        try:
            self.grab_set()
        except tk.TclError:  # not viewable yet (a window manager still placing it): once it is
            self.after(20, lambda: self._grab() if self.winfo_exists() and not self.answered else None)

    def answer(self, yes: bool) -> None:
        if self.answered:
            return
        self.answered = True
        try:
            self.grab_release()
        finally:
            self.destroy()
        self.on_answer(yes)
