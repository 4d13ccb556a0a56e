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
    """Label, entry and System V key; `field.key` is the entry's text, `field.var` its variable."""

    def __init__(self, master, key: str):
        super().__init__(master)
        self.var = tk.StringVar(self, key)
        ttk.Label(self, text="Key:").pack(side="left")
        self.entry = ttk.Entry(self, textvariable=self.var, width=28)
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
