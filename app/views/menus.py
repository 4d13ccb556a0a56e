"""The menu bar (File, View, Share, Receive, Help) and the image's right-click menu.

Every entry calls one method of the window (or of a tab) that a keyboard shortcut or button also
calls; the accelerator text shown here is the shortcut the window binds (window.SHORTCUTS), so the
two cannot drift apart unnoticed: tests compare them.
"""

from __future__ import annotations

import functools
import os
import tkinter as tk
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..settings import ThemeChoice

if TYPE_CHECKING:
    from .window import App

Action = Callable[[], None]


class MenuBar:
    """The window's menus; `bar.menus["File"]` etc. for tests, `bar.refresh_recent()` after a file opens."""

    def __init__(self, app: App):
        self.app = app
        root = app.root
        self.bar = tk.Menu(root, tearoff=False)
        self.menus: dict[str, tk.Menu] = {}
        self.theme_var = tk.StringVar(root, app.settings.theme.value)
        self._file(self._menu("File", 0))
        self._view(self._menu("View", 0))
        self._share(self._menu("Share", 2))  # Alt+S and Alt+R pick the tabs
        self._receive(self._menu("Receive", 2))
        self._help(self._menu("Help", 0))
        root.configure(menu=self.bar)

    def _menu(self, label: str, underline: int) -> tk.Menu:
        menu = tk.Menu(self.bar, tearoff=False)
        self.bar.add_cascade(label=label, menu=menu, underline=underline)
        self.menus[label] = menu
        return menu

    def _file(self, menu: tk.Menu) -> None:
        app = self.app
        menu.add_command(label="Open image...", underline=0, accelerator="Ctrl+O", command=app.open_image)
        menu.add_command(label="Paste image", underline=0, accelerator="Ctrl+V", command=app.paste_image)
        self.recent = tk.Menu(menu, tearoff=False, postcommand=self.refresh_recent)
        menu.add_cascade(label="Open recent", underline=5, menu=self.recent)
        menu.add_separator()
        menu.add_command(label="Save image as...", underline=0, accelerator="Ctrl+S", command=app.save_as)
        menu.add_command(label="Copy image", underline=0, accelerator="Ctrl+Shift+C", command=app.copy_image)
        menu.add_separator()
        menu.add_command(label="Quit", underline=0, accelerator="Ctrl+Q", command=app.close)
        self.refresh_recent()

    def refresh_recent(self) -> None:
        self.recent.delete(0, "end")
        files = self.app.settings.recent_files
        for number, path in enumerate(files, start=1):
            label = f"{number}  {os.path.basename(path)}  ({os.path.dirname(path)})"
            self.recent.add_command(label=label, underline=0 if number < 10 else -1,
                                    command=functools.partial(self.app.open_recent, path))
        if not files:
            self.recent.add_command(label="(no recent files)", state="disabled")

    def _view(self, menu: tk.Menu) -> None:
        app = self.app
        menu.add_command(label="Zoom in", underline=5, accelerator="Ctrl++", command=lambda: app.zoom("in"))
        menu.add_command(label="Zoom out", underline=5, accelerator="Ctrl+-", command=lambda: app.zoom("out"))
        menu.add_command(label="Fit to window", underline=0, accelerator="Ctrl+0", command=lambda: app.zoom("fit"))
        menu.add_command(label="Actual size (100%)", underline=0, accelerator="Ctrl+1",
                         command=lambda: app.zoom("actual"))
        menu.add_separator()
        menu.add_command(label="Sender tab", underline=0, accelerator="Alt+S",
                         command=lambda: app.notebook.select(app.sender))
        menu.add_command(label="Receiver tab", underline=0, accelerator="Alt+R",
                         command=lambda: app.notebook.select(app.receiver))
        menu.add_separator()
        theme = tk.Menu(menu, tearoff=False)
        menu.add_cascade(label="Theme", underline=0, menu=theme)
        for choice, label in ((ThemeChoice.SYSTEM, "Follow the desktop"), (ThemeChoice.LIGHT, "Light"),
                              (ThemeChoice.DARK, "Dark")):
            theme.add_radiobutton(label=label, value=choice.value, variable=self.theme_var,
                                  command=functools.partial(app.set_theme, choice))
        self.menus["Theme"] = theme

    def _share(self, menu: tk.Menu) -> None:
        app, sender = self.app, self.app.sender
        menu.add_command(label="Share", underline=0, accelerator="Ctrl+Enter",
                         command=lambda: app.on_tab(sender, sender.share))
        menu.add_command(label="Stop sharing", underline=0, command=lambda: app.on_tab(sender, sender.stop))
        menu.add_command(label="Pause / play animation", underline=0,
                         command=lambda: app.on_tab(sender, sender.toggle_play))
        menu.add_separator()
        # The boxes' own commands run, so the menu and the tab behave the same way.
        menu.add_checkbutton(label="Watch file", underline=0, variable=sender.watch_var,
                             command=lambda: app.toggle_box(sender, sender.watch_check))
        menu.add_checkbutton(label="Qt compatible", underline=0, variable=sender.qt_var,
                             command=lambda: app.toggle_box(sender, sender.qt_check))

    def _receive(self, menu: tk.Menu) -> None:
        app, receiver = self.app, self.app.receiver
        menu.add_command(label="Receive", underline=0, accelerator="Ctrl+R",
                         command=lambda: app.on_tab(receiver, receiver.receive))
        menu.add_checkbutton(label="Follow", underline=0, variable=receiver.follow_var,
                             command=lambda: app.toggle_box(receiver, receiver.follow_check))
        menu.add_checkbutton(label="Qt compatible", underline=0, variable=receiver.qt_var,
                             command=lambda: app.toggle_box(receiver, receiver.qt_check))
        menu.add_separator()
        menu.add_command(label="Save image as...", underline=0, accelerator="Ctrl+S",
                         command=lambda: app.on_tab(receiver, receiver.save))
        menu.add_command(label="Copy image", underline=0, command=lambda: app.on_tab(receiver, receiver.copy))
        menu.add_command(label="Compare with file...", underline=1,
                         command=lambda: app.on_tab(receiver, receiver.compare.choose))
        menu.add_separator()
        menu.add_command(label="Clean up stale shares", underline=0,
                         command=lambda: app.on_tab(receiver, receiver.shares.clean))

    def _help(self, menu: tk.Menu) -> None:
        app = self.app
        menu.add_command(label="Keyboard shortcuts", underline=0, accelerator="F1", command=app.show_shortcuts)
        menu.add_command(label="Documentation", underline=0, command=app.show_docs)
        menu.add_separator()
        menu.add_command(label="About imgshare", underline=0, command=app.show_about)


def image_menu(app: App, canvas: tk.Misc, copy: Action, save: Action, pixel_text: Callable[[], str | None]) -> tk.Menu:
    """The right-click menu of an image view: Copy, Save as…, Copy pixel value (when one is inspected)."""
    menu = tk.Menu(canvas, tearoff=False)
    menu.add_command(label="Copy image", underline=0, command=copy)
    menu.add_command(label="Save image as...", underline=0, command=save)
    menu.add_command(label="Copy pixel value", underline=5, command=lambda: app.copy_text(pixel_text()))

    def popup(event: tk.Event) -> None:
        menu.entryconfigure(2, state="normal" if pixel_text() else "disabled")
        menu.tk_popup(event.x_root, event.y_root)

    canvas.bind("<Button-3>", popup, add="+")
    return menu


def entries(menu: tk.Menu) -> list[str]:
    """The labels of menu's entries (separators left out), for tests and the shortcut list."""
    last = menu.index("end")
    if last is None:
        return []
    return [str(menu.entrycget(i, "label")) for i in range(last + 1) if menu.type(i) != "separator"]
