"""The menu bar (File, View, Share, Receive, Help) and the image's right-click menu, built from the
command table (commands/table.py): labels, mnemonics and accelerators come from there.

Every entry runs one action, by command name, from the mapping the window hands over (the same
callables its keyboard shortcuts and buttons run); the menu bar knows no window, tab or widget, only
those actions, the check entries' variables and the settings it lists.
"""

from __future__ import annotations

import functools
import os
import tkinter as tk
from collections.abc import Callable, Mapping

from ...settings import ThemeChoice
from ..commands.table import BY_NAME, IMAGE_MENU, MENUS, RECENT_FILES, SEPARATOR, THEMES, Menu, Tab, showing_first

Action = Callable[[], None]
THEME_LABELS = ((ThemeChoice.SYSTEM, "Follow the desktop"), (ThemeChoice.LIGHT, "Light"), (ThemeChoice.DARK, "Dark"))


class MenuBar:
    """The window's menus; `bar.menus["File"]` etc. for tests, `bar.refresh_recent()` after a file opens.

    actions: what each command does, by name; show_tab: what an entry of the Share and Receive menus
    does first; checks: the check entries' variables (shared with the tabs' check boxes), by name;
    recent_files, open_recent, theme and set_theme: File > Open recent and View > Theme."""

    def __init__(self, root: tk.Tk, actions: Mapping[str, Action], show_tab: Callable[[Tab], None],
                 checks: Mapping[str, tk.BooleanVar], recent_files: Callable[[], list[str]],
                 open_recent: Callable[[str], None], theme: ThemeChoice, set_theme: Callable[[ThemeChoice], None]):
        self.actions, self.show_tab, self.checks = actions, show_tab, checks
        self.recent_files, self.open_recent, self.set_theme = recent_files, open_recent, set_theme
        self.bar = tk.Menu(root, tearoff=False)
        self.menus: dict[str, tk.Menu] = {}
        self.theme_var = tk.StringVar(root, theme.value)
        for menu in MENUS:
            self._add(menu)
        root.configure(menu=self.bar)
        self.refresh_recent()

    def _add(self, spec: Menu) -> None:
        menu = tk.Menu(self.bar, tearoff=False)
        self.bar.add_cascade(label=spec.label, menu=menu, underline=spec.underline)
        self.menus[spec.label] = menu
        for entry in spec.entries:
            if entry == SEPARATOR:
                menu.add_separator()
            elif entry == RECENT_FILES:
                self.recent = tk.Menu(menu, tearoff=False, postcommand=self.refresh_recent)
                menu.add_cascade(label="Open recent", underline=5, menu=self.recent)
            elif entry == THEMES:
                self._themes(menu)
            else:
                command = BY_NAME[entry]
                action = showing_first(spec.tab, self.show_tab, self.actions[entry])
                if command.check:
                    menu.add_checkbutton(label=command.label, underline=command.underline, command=action,
                                         variable=self.checks[entry])
                else:
                    menu.add_command(label=command.label, underline=command.underline, command=action,
                                     accelerator=command.accelerator)

    def _themes(self, menu: tk.Menu) -> None:
        themes = tk.Menu(menu, tearoff=False)
        menu.add_cascade(label="Theme", underline=0, menu=themes)
        for choice, label in THEME_LABELS:
            themes.add_radiobutton(label=label, value=choice.value, variable=self.theme_var,
                                   command=functools.partial(self.set_theme, choice))
        self.menus["Theme"] = themes

    def refresh_recent(self) -> None:
        self.recent.delete(0, "end")
        files = self.recent_files()
        for number, path in enumerate(files, start=1):
            label = f"{number}  {os.path.basename(path)}  ({os.path.dirname(path)})"
            self.recent.add_command(label=label, underline=0 if number < 10 else -1,
                                    command=functools.partial(self.open_recent, path))
        if not files:
            self.recent.add_command(label="(no recent files)", state="disabled")


def image_menu(canvas: tk.Misc, actions: Mapping[str, Action], pixel_text: Callable[[], str | None]) -> tk.Menu:
    """The right-click menu of an image view (actions for that view, by command name): Copy, Save as…,
    Copy pixel value (enabled when a pixel is inspected)."""
    menu = tk.Menu(canvas, tearoff=False)
    for name in IMAGE_MENU:
        command = BY_NAME[name]
        menu.add_command(label=command.label, underline=command.underline, accelerator=command.accelerator,
                         command=actions[name])
    copy_pixel = IMAGE_MENU.index("copy_pixel_value")

    def popup(event: tk.Event) -> None:
        menu.entryconfigure(copy_pixel, state="normal" if pixel_text() else "disabled")
        menu.tk_popup(event.x_root, event.y_root)

    canvas.bind("<Button-3>", popup, add="+")
    return menu


def entries(menu: tk.Menu) -> list[str]:
    """The labels of menu's entries (separators left out), for tests and the shortcut list."""
    last = menu.index("end")
    if last is None:
        return []
    return [str(menu.entrycget(i, "label")) for i in range(last + 1) if menu.type(i) != "separator"]
