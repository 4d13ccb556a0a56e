"""The key field both tabs use: an entry with the recent keys in its list, and the System V integer
the key maps to beside it (ending in "…" when the window is narrow; the whole in its tooltip)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...ipc import ImgShareError, sysv_key
from .eliding_label import ElidingLabel
from .theme import units
from .tooltip import add_tooltip

ENTRY_CHARS = 24
KEY_TIP = ("The name both programs agree on; it maps to the System V key shown beside it. "
           "The list offers the keys used recently.")


def describe_key(text: str) -> str:
    """'System V key 123 (0x0000007b)' for a usable key, else the reason it is not usable."""
    try:
        value = sysv_key(text)
    except ImgShareError as exc:
        return f"invalid key: {exc}"
    return f"System V key {value} ({value:#010x})"


class KeyField(ttk.Frame):
    """Label, combobox and System V key; `field.key` is the entry's text, `field.var` its variable.

    The combobox's list is made by `postcommand` when given (the Receiver lists its shares), else it
    offers `recent()` keys; a key may always be typed. `describe` says what the text names (the
    Receiver also takes a bridge server's address).
    """

    def __init__(self, master: tk.Misc, key: str, postcommand: Callable[[], None] | None = None,
                 recent: Callable[[], list[str]] = list, describe: Callable[[str], str] = describe_key,
                 tip: str = KEY_TIP):
        super().__init__(master)
        self.var = tk.StringVar(self, key)
        self._recent = recent
        ttk.Label(self, text="Key:").pack(side="left")
        self.entry = ttk.Combobox(self, textvariable=self.var, width=ENTRY_CHARS, style="Keys.TCombobox",
                                  postcommand=postcommand or self._offer_recent)
        self.entry.pack(side="left", padx=(units(self).pad, units(self).pad * 2))
        add_tooltip(self.entry, tip)
        self.sysv_label = ElidingLabel(self, describe(key), style="Muted.TLabel")
        self.sysv_label.pack(side="left", fill="x", expand=True)
        self.var.trace_add("write", lambda *_: self.sysv_label.set(describe(self.var.get())))

    @property
    def key(self) -> str:
        return self.var.get()

    @property
    def sysv_text(self) -> str:
        return self.sysv_label.full_text

    def _offer_recent(self) -> None:
        self.entry.configure(values=self._recent())
