"""Dropping files on a widget, through tkinterdnd2's bundled tkdnd; says why when it is unavailable."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from typing import Any

from .clipboard import uri_list_paths


def enable_file_drop(widget: Any, on_paths: Callable[[list[str]], None]) -> str:
    """Make widget accept dropped files; returns "" when enabled, else one sentence saying why not."""
    try:
        from tkinterdnd2 import COPY, DND_FILES, TkinterDnD
    except ImportError:
        return "drag and drop needs the tkinterdnd2 package, which is not installed"
    try:
        TkinterDnD.require(widget.winfo_toplevel())
        widget.drop_target_register(DND_FILES)
    except Exception as exc:  # tkdnd missing for this platform, or refused by Tk
        return f"drag and drop is unavailable here ({exc})"

    def dropped(event: Any) -> str:
        on_paths(drop_paths(widget, event.data))
        return str(COPY)

    widget.dnd_bind("<<Drop>>", dropped)
    return ""


def drop_paths(widget: tk.Misc, data: str) -> list[str]:
    """The file paths in tkdnd's drop data (a Tcl list; some sources send file:// URIs)."""
    paths = []
    for item in widget.tk.splitlist(data):
        if item.startswith("file:"):
            paths.extend(uri_list_paths(item))
        elif item:
            paths.append(item)
    return paths
