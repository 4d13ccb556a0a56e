"""The key field both tabs use: an entry, and the System V integer the key maps to beside it."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from ..ipc import ImgShareError, sysv_key


def describe_key(text: str) -> str:
    """'System V key 123 (0x0000007b)' for a usable key, else the reason it is not usable."""
    try:
        value = sysv_key(text)
    except ImgShareError as exc:
        return f"invalid key: {exc}"
    return f"System V key {value} ({value:#010x})"


class KeyField(ttk.Frame):
    """Label, entry and System V key; `field.key` is the entry's text, `field.var` its variable.

    With a `postcommand` the entry is a ttk.Combobox (a key may still be typed); postcommand runs when
    its list is about to open.
    """

    def __init__(self, master, key: str, postcommand=None):
        super().__init__(master)
        self.var = tk.StringVar(self, key)
        ttk.Label(self, text="Key:").pack(side="left")
        if postcommand is None:
            self.entry = ttk.Entry(self, textvariable=self.var, width=28)
        else:
            style = ttk.Style(self)
            # The list's lines are longer than a key: let it open wider than the field (x, y, width, height).
            style.configure("Keys.TCombobox", postoffset=(0, 0, 360, 0))
            self.entry = ttk.Combobox(self, textvariable=self.var, width=28, postcommand=postcommand,
                                      style="Keys.TCombobox")
        self.entry.pack(side="left", padx=(4, 8))
        self._sysv = tk.StringVar(self)
        self.sysv_label = ttk.Label(self, textvariable=self._sysv, foreground="#555555")
        self.sysv_label.pack(side="left")
        self.var.trace_add("write", lambda *_: self._sysv.set(describe_key(self.var.get())))
        self._sysv.set(describe_key(key))

    @property
    def key(self) -> str:
        return self.var.get()

    @property
    def sysv_text(self) -> str:
        return self._sysv.get()
