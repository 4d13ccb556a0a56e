"""The first window opens whole on the screen under a window manager (openbox), at 96 and 192 dpi: it is
mapped only once it has its size, so the window manager places it by the size it keeps."""

from __future__ import annotations

import tkinter as tk

from imgshare.views.window.app import build_app
from tests.gui.support import pump_until
from tests.gui.window_manager import placed


def test_the_first_window_opens_whole_on_the_screen(desktop, monkeypatch):
    monkeypatch.setenv("DISPLAY", desktop.display)  # as `imgshare` started on that desktop
    root = tk.Tk(className="imgshare")
    mapped_at: list[tuple[int, int]] = []

    def mapped(event: tk.Event) -> None:
        if event.widget is root and not mapped_at:
            mapped_at.append((root.winfo_width(), root.winfo_height()))
    root.bind("<Map>", mapped, add="+")
    app = build_app(root, key="placement")
    try:
        pump_until(app, lambda: root.winfo_viewable() and any(placed(root).frame), what="the framed window")
        assert mapped_at == [(root.winfo_width(), root.winfo_height())]  # mapped at the size it keeps
        where = placed(root)
        assert where.within(desktop.size), (where, desktop.size)
        assert root.winfo_width() >= app.min_size[0] and root.winfo_height() >= app.min_size[1]
    finally:
        app.close()
