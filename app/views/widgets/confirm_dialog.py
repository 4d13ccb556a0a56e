"""A themed question with a list: what an action would do, then Cancel or the action (Escape cancels).

It does not block: the answer comes to a callback, and the window goes on meanwhile (its follow, its
animations); a grab keeps the rest of the window from taking input while the question is open.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from .theme import palette, units

WRAP_CHARS = 64
LIST_LINES = 8  # the list shows this many lines at most, and scrolls: the buttons stay on screen


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
        listing.pack(fill="both", expand=True)
        self.listing = self._list(listing, self.lines)
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

    def _list(self, master: tk.Misc, lines: Sequence[str]) -> tk.Text:
        """The lines, read-only, in a box of at most LIST_LINES lines that scrolls when they are more."""
        colours = palette(master)
        text = tk.Text(master, wrap="word", width=WRAP_CHARS, height=LIST_LINES,
                       borderwidth=0, highlightthickness=0, relief="flat", background=colours.background,
                       foreground=colours.foreground, font="TkDefaultFont", cursor="", takefocus=False)
        text.insert("1.0", "\n".join(f"•  {line}" for line in lines))
        text.configure(state="disabled")
        text.pack(side="left", fill="both", expand=True)
        # the lines it takes, wrapped at its width (counted by characters: Tk lays it out only once shown)
        rows = sum(-(-(len(line) + 3) // WRAP_CHARS) for line in lines)
        if rows > LIST_LINES:
            bar = ttk.Scrollbar(master, orient="vertical", command=text.yview)
            text.configure(yscrollcommand=bar.set, height=LIST_LINES)
            bar.pack(side="right", fill="y", before=text)
        else:
            text.configure(height=max(1, rows))
        return text

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
