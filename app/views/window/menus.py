"""The menu bar (File, View, Share, Receive, Help) and the image's right-click menu.

Every entry calls one action, by name, from the mapping the window hands over (the same callables its
keyboard shortcuts and buttons call); the menu bar knows no window, tab or widget, only those
actions, the check boxes' variables and the settings it lists.
"""

from __future__ import annotations

import functools
import os
import tkinter as tk
from collections.abc import Callable, Mapping

from ...settings import ThemeChoice

Action = Callable[[], None]


class MenuBar:
    """The window's menus; `bar.menus["File"]` etc. for tests, `bar.refresh_recent()` after a file opens.

    actions: what each entry does, by name; checks: the variables of the check entries (shared with the
    tabs' check boxes), by name; recent_files, open_recent, theme and set_theme: the File > Open recent
    and View > Theme menus."""

    def __init__(self, root: tk.Tk, actions: Mapping[str, Action], checks: Mapping[str, tk.BooleanVar],
                 recent_files: Callable[[], list[str]], open_recent: Callable[[str], None],
                 theme: ThemeChoice, set_theme: Callable[[ThemeChoice], None]):
        self.actions = actions
        self.checks = checks
        self.recent_files, self.open_recent, self.set_theme = recent_files, open_recent, set_theme
        self.bar = tk.Menu(root, tearoff=False)
        self.menus: dict[str, tk.Menu] = {}
        self.theme_var = tk.StringVar(root, theme.value)
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
        do = self.actions
        menu.add_command(label="Open image...", underline=0, accelerator="Ctrl+O", command=do["open_image"])
        menu.add_command(label="Paste image", underline=0, accelerator="Ctrl+V", command=do["paste_image"])
        self.recent = tk.Menu(menu, tearoff=False, postcommand=self.refresh_recent)
        menu.add_cascade(label="Open recent", underline=5, menu=self.recent)
        menu.add_separator()
        menu.add_command(label="Save image as...", underline=0, accelerator="Ctrl+S", command=do["save_as"])
        menu.add_command(label="Copy image", underline=0, accelerator="Ctrl+Shift+C", command=do["copy_image"])
        menu.add_separator()
        menu.add_command(label="Quit", underline=0, accelerator="Ctrl+Q", command=do["quit"])
        self.refresh_recent()

    def refresh_recent(self) -> None:
        self.recent.delete(0, "end")
        files = self.recent_files()
        for number, path in enumerate(files, start=1):
            label = f"{number}  {os.path.basename(path)}  ({os.path.dirname(path)})"
            self.recent.add_command(label=label, underline=0 if number < 10 else -1,
                                    command=functools.partial(self.open_recent, path))
        if not files:
            self.recent.add_command(label="(no recent files)", state="disabled")

    def _view(self, menu: tk.Menu) -> None:
        do = self.actions
        menu.add_command(label="Zoom in", underline=5, accelerator="Ctrl++", command=do["zoom_in"])
        menu.add_command(label="Zoom out", underline=5, accelerator="Ctrl+-", command=do["zoom_out"])
        menu.add_command(label="Fit to window", underline=0, accelerator="Ctrl+0", command=do["zoom_fit"])
        menu.add_command(label="Actual size (100%)", underline=0, accelerator="Ctrl+1", command=do["zoom_actual"])
        menu.add_separator()
        menu.add_command(label="Sender tab", underline=0, accelerator="Alt+S", command=do["sender_tab"])
        menu.add_command(label="Receiver tab", underline=0, accelerator="Alt+R", command=do["receiver_tab"])
        menu.add_separator()
        theme = tk.Menu(menu, tearoff=False)
        menu.add_cascade(label="Theme", underline=0, menu=theme)
        for choice, label in ((ThemeChoice.SYSTEM, "Follow the desktop"), (ThemeChoice.LIGHT, "Light"),
                              (ThemeChoice.DARK, "Dark")):
            theme.add_radiobutton(label=label, value=choice.value, variable=self.theme_var,
                                  command=functools.partial(self.set_theme, choice))
        self.menus["Theme"] = theme

    def _share(self, menu: tk.Menu) -> None:
        do, checks = self.actions, self.checks
        menu.add_command(label="Share", underline=0, accelerator="Ctrl+Enter", command=do["share"])
        menu.add_command(label="Stop sharing", underline=0, command=do["stop_sharing"])
        menu.add_command(label="Pause / play animation", underline=0, command=do["play_pause"])
        menu.add_separator()
        # The boxes' own commands run, so the menu and the tab behave the same way.
        menu.add_checkbutton(label="Watch file", underline=0, variable=checks["watch_file"], command=do["watch_file"])
        menu.add_checkbutton(label="Qt compatible", underline=0, variable=checks["qt_share"], command=do["qt_share"])

    def _receive(self, menu: tk.Menu) -> None:
        do, checks = self.actions, self.checks
        menu.add_command(label="Receive", underline=0, accelerator="Ctrl+R", command=do["receive"])
        menu.add_checkbutton(label="Follow", underline=0, variable=checks["follow"], command=do["follow"])
        menu.add_checkbutton(label="Qt compatible", underline=0, variable=checks["qt_receive"],
                             command=do["qt_receive"])
        menu.add_separator()
        menu.add_command(label="Save image as...", underline=0, accelerator="Ctrl+S", command=do["save_received"])
        menu.add_command(label="Copy image", underline=0, command=do["copy_received"])
        menu.add_command(label="Compare with file...", underline=1, command=do["compare"])
        menu.add_separator()
        menu.add_command(label="Clean up stale shares", underline=0, command=do["clean_up"])

    def _help(self, menu: tk.Menu) -> None:
        do = self.actions
        menu.add_command(label="Keyboard shortcuts", underline=0, accelerator="F1", command=do["shortcuts"])
        menu.add_command(label="Documentation", underline=0, command=do["documentation"])
        menu.add_separator()
        menu.add_command(label="About imgshare", underline=0, command=do["about"])


def image_menu(canvas: tk.Misc, copy: Action, save: Action, copy_pixel: Callable[[str | None], None],
               pixel_text: Callable[[], str | None]) -> tk.Menu:
    """The right-click menu of an image view: Copy, Save as…, Copy pixel value (when one is inspected)."""
    menu = tk.Menu(canvas, tearoff=False)
    menu.add_command(label="Copy image", underline=0, command=copy)
    menu.add_command(label="Save image as...", underline=0, command=save)
    menu.add_command(label="Copy pixel value", underline=5, command=lambda: copy_pixel(pixel_text()))

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
