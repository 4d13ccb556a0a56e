"""The key field both tabs use: an entry with the recent keys in its list, and the System V integer
the key maps to beside it (ending in "…" when the window is narrow; the whole in its tooltip): in Qt
mode, the one Qt's key file gives (there is none until a Qt program has made that file)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...ipc import ChannelKind
from ...key_text import describe_key
from .eliding_label import ElidingLabel
from .theme import units
from .tooltip import add_tooltip

ENTRY_CHARS = 24
KEY_TIP = ("The name both programs agree on; it maps to the System V key shown beside it. "
           "The list offers the keys used recently.")


class KeyField(ttk.Frame):
    """Label, combobox and System V key; `field.key` is the entry's text, `field.var` its variable.

    The combobox's list is made by `postcommand` when given (the Receiver lists its shares), else it
    offers `recent()` keys; a key may always be typed. `describe` says what the text names (the
    Receiver also takes a bridge server's address).
    """

    def __init__(self, master: tk.Misc, key: str, postcommand: Callable[[], None] | None = None,
                 recent: Callable[[], list[str]] = list,
                 describe: Callable[[str, ChannelKind], str] = describe_key, tip: str = KEY_TIP):
        super().__init__(master)
        self.var = tk.StringVar(self, key)
        self._recent = recent
        self._describe = describe
        self.kind = ChannelKind.IMGSHARE
        ttk.Label(self, text="Key:").pack(side="left")
        self.entry = ttk.Combobox(self, textvariable=self.var, width=ENTRY_CHARS, style="Keys.TCombobox",
                                  postcommand=postcommand or self._offer_recent)
        self.entry.pack(side="left", padx=(units(self).pad, units(self).pad * 2))
        add_tooltip(self.entry, tip)
        self.sysv_label = ElidingLabel(self, describe(key, self.kind), style="Muted.TLabel")
        self.sysv_label.pack(side="left", fill="x", expand=True)
        self.var.trace_add("write", lambda *_: self.refresh())

    @property
    def key(self) -> str:
        return self.var.get()

    @property
    def sysv_text(self) -> str:
        return self.sysv_label.full_text

    def show_kind(self, kind: ChannelKind) -> None:
        """Show the System V key of this kind of share (Qt mode: from Qt's key file)."""
        self.kind = kind
        self.refresh()

    def refresh(self) -> None:
        """Say again which System V key the key gives (a Qt key file may have appeared or gone)."""
        self.sysv_label.set(self._describe(self.var.get(), self.kind))

    def _offer_recent(self) -> None:
        self.entry.configure(values=self._recent())
