"""A titled panel of name/value rows (image facts, share facts, header facts); values wrap at word
boundaries within a width given in characters, so the panel keeps its shape at every dpi."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from .theme import units


class InfoPanel(ttk.LabelFrame):
    """`panel.show([("Size", "640 x 480"), ...])`; `panel.value("Size")` reads a row back."""

    def __init__(self, master: tk.Misc, title: str, names: list[str], width: int = 22):
        u = units(master)
        super().__init__(master, text=title, padding=(u.pad * 2, u.pad))
        self._vars: dict[str, tk.StringVar] = {}
        for row, name in enumerate(names):
            ttk.Label(self, text=name + ":", style="Muted.TLabel").grid(row=row, column=0, sticky="nw",
                                                                       padx=(0, u.pad * 2))
            var = tk.StringVar(self, "-")
            ttk.Label(self, textvariable=var, width=width, wraplength=u.chars(width)).grid(
                row=row, column=1, sticky="nw")
            self._vars[name] = var

    def show(self, rows: list[tuple[str, str]]) -> None:
        for name, value in rows:
            self._vars[name].set(value)

    def clear(self) -> None:
        for var in self._vars.values():
            var.set("-")

    def value(self, name: str) -> str:
        return self._vars[name].get()
