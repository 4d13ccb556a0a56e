"""The window's commands (no Tk): each one's menu label, shortcut, help line, and where its keys work.

This is the one home of a shortcut. The menu bar (window/menus.py) and the image's right-click menu
are built from MENUS and IMAGE_MENU; window/app.py binds the WINDOW scope, every image view binds the
IMAGE_VIEW scope (imageview/input.py), and text fields would bind the TEXT_FIELD scope; the Help
dialog lists HELP_ROWS; tooltips and sentences that name a key ask `shortcut(name)`; the tests read
the same table. A command's action is not here: whoever binds a scope hands over the callables, by
command name, and a missing one fails when the window is built.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class Scope(enum.Enum):
    """Where a command's keys are bound."""

    WINDOW = "window"  # on the toplevel: works wherever the focus is in the window
    IMAGE_VIEW = "image view"  # on each image view's canvas: also a view on its own (tests, bench)
    TEXT_FIELD = "text field"  # on the text entry classes: what a key does while typing


class Tab(enum.Enum):
    """The tab a command belongs to: running it shows that tab first."""

    SENDER = "Sender"
    RECEIVER = "Receiver"


@dataclass(frozen=True)
class Keys:
    """A shortcut: the text menus and Help show, and the Tk event sequences bound for it."""

    text: str
    sequences: tuple[str, ...]


def ctrl(letter: str) -> Keys:
    """Ctrl and a letter, with or without Shift held (Caps Lock on): "<Control-o>", "<Control-O>"."""
    return Keys(f"Ctrl+{letter.upper()}", (f"<Control-{letter.lower()}>", f"<Control-{letter.upper()}>"))


@dataclass(frozen=True)
class Command:
    name: str
    label: str = ""  # the menu entry's text ("" for a command only keys run)
    underline: int = -1  # the label's mnemonic letter
    keys: Keys | None = None
    help: str = ""  # its line in Help > Keyboard shortcuts ("" leaves it out)
    scopes: frozenset[Scope] = frozenset({Scope.WINDOW})
    tab: Tab | None = None  # shown before the command runs
    check: bool = False  # a check entry in the menus (its variable is the tab's own check box's)
    defer_to_text: bool = False  # in a text field the field's own binding for these keys wins (Ctrl+V)

    @property
    def accelerator(self) -> str:
        return self.keys.text if self.keys else ""


_VIEW = frozenset({Scope.WINDOW, Scope.IMAGE_VIEW})  # the shown view's from anywhere; a view's own keys

COMMANDS: tuple[Command, ...] = (
    # File
    Command("open_image", "Open image...", 0, ctrl("o"), "Open an image file", tab=Tab.SENDER),
    Command("paste_image", "Paste image", 0, ctrl("v"), "Paste an image from the clipboard", tab=Tab.SENDER,
            defer_to_text=True),
    Command("save_as", "Save image as...", 0, ctrl("s"), "Save the shown image as…"),
    Command("copy_image", "Copy image", 0, Keys("Ctrl+Shift+C", ("<Control-Shift-C>",)),
            "Copy the shown image to the clipboard"),
    Command("quit", "Quit", 0, ctrl("q"), "Quit (the share is removed)"),
    # View
    Command("zoom_in", "Zoom in", 5, Keys("Ctrl++", ("<Control-plus>", "<Control-equal>", "<Control-KP_Add>")),
            "Zoom in", _VIEW),
    Command("zoom_out", "Zoom out", 5, Keys("Ctrl+-", ("<Control-minus>", "<Control-KP_Subtract>")), "Zoom out",
            _VIEW),
    Command("zoom_fit", "Fit to window", 0,
            Keys("Ctrl+0", ("<Control-Key-0>", "<Control-KP_0>", "<Control-KP_Insert>")),
            "Fit the image to the window", _VIEW),
    Command("zoom_actual", "Actual size (100%)", 0,
            Keys("Ctrl+1", ("<Control-Key-1>", "<Control-KP_1>", "<Control-KP_End>")), "Actual size (100%)", _VIEW),
    Command("unpin", keys=Keys("Esc", ("<Escape>",)), help="Let go of the pinned pixel",
            scopes=frozenset({Scope.IMAGE_VIEW})),
    Command("sender_tab", "Sender tab", 0, Keys("Alt+S", ("<Alt-s>", "<Alt-S>")), "Show the Sender tab",
            tab=Tab.SENDER),
    Command("receiver_tab", "Receiver tab", 0, Keys("Alt+R", ("<Alt-r>", "<Alt-R>")), "Show the Receiver tab",
            tab=Tab.RECEIVER),
    Command("next_tab", keys=Keys("Ctrl+Tab", ("<Control-Tab>",)), help="Next tab"),
    Command("previous_tab", keys=Keys("Ctrl+Shift+Tab", ("<Control-Shift-Tab>", "<Control-ISO_Left_Tab>")),
            help="Previous tab"),
    # Share
    Command("share", "Share", 0, Keys("Ctrl+Enter", ("<Control-Return>", "<Control-KP_Enter>")),
            "Share the opened image", tab=Tab.SENDER),
    Command("stop_sharing", "Stop sharing", 0, tab=Tab.SENDER),
    Command("play_pause", "Pause / play animation", 0, tab=Tab.SENDER),
    Command("watch_file", "Watch file", 0, tab=Tab.SENDER, check=True),
    Command("qt_share", "Qt compatible", 0, tab=Tab.SENDER, check=True),
    # Receive
    Command("receive", "Receive", 0, ctrl("r"), "Receive (Enter in the Receiver's key field too)", tab=Tab.RECEIVER),
    Command("follow", "Follow", 0, tab=Tab.RECEIVER, check=True),
    Command("qt_receive", "Qt compatible", 0, tab=Tab.RECEIVER, check=True),
    Command("compare", "Compare with file...", 1, tab=Tab.RECEIVER),
    Command("clean_up", "Clean up stale shares", 0, tab=Tab.RECEIVER),
    # Help
    Command("shortcuts", "Keyboard shortcuts", 0, Keys("F1", ("<F1>",)), "This list"),
    Command("documentation", "Documentation", 0),
    Command("about", "About imgshare", 0),
    # The image's right-click menu
    Command("copy_pixel_value", "Copy pixel value", 5, scopes=frozenset()),
)
BY_NAME = {command.name: command for command in COMMANDS}

SEPARATOR = "-"
RECENT_FILES = "recent files"  # File > Open recent: the menu bar fills it from the settings
THEMES = "themes"  # View > Theme: the three theme choices


@dataclass(frozen=True)
class Menu:
    label: str
    underline: int
    entries: tuple[str, ...]  # command names, SEPARATOR, RECENT_FILES or THEMES
    tab: Tab | None = None  # every entry shows this tab first (Receive > Save image as… saves the received one)


MENUS: tuple[Menu, ...] = (
    Menu("File", 0, ("open_image", "paste_image", RECENT_FILES, SEPARATOR, "save_as", "copy_image", SEPARATOR,
                     "quit")),
    Menu("View", 0, ("zoom_in", "zoom_out", "zoom_fit", "zoom_actual", SEPARATOR, "sender_tab", "receiver_tab",
                     SEPARATOR, THEMES)),
    Menu("Share", 2, ("share", "stop_sharing", "play_pause", SEPARATOR, "watch_file", "qt_share"),
         Tab.SENDER),  # "a" and "c": Alt+S and Alt+R pick the tabs
    Menu("Receive", 2, ("receive", "follow", "qt_receive", SEPARATOR, "save_as", "copy_image", "compare", SEPARATOR,
                        "clean_up"), Tab.RECEIVER),
    Menu("Help", 0, ("shortcuts", "documentation", SEPARATOR, "about")),
)
IMAGE_MENU: tuple[str, ...] = ("copy_image", "save_as", "copy_pixel_value")  # for the view clicked, not the tab

# What the mouse does on an image view (imageview/input.py binds it); listed in Help after the keys.
GESTURES: tuple[tuple[str, str], ...] = (
    ("Ctrl+wheel", "Zoom around the pointer"),
    ("Drag, wheel, Shift+wheel", "Pan and scroll a zoomed image"),
    ("Click", "Pin the pixel under the pointer in the inspector (click again to let go)"),
    ("Right click", "Copy, Save as…, Copy pixel value"),
)


def shortcut(name: str) -> str:
    """The keys of a command as shown ("Ctrl+O"), for sentences and tooltips that name them."""
    keys = BY_NAME[name].keys
    if keys is None:
        raise ValueError(f"the command {name!r} has no shortcut")
    return keys.text


def in_scope(scope: Scope, commands: tuple[Command, ...] = COMMANDS) -> tuple[Command, ...]:
    """The commands whose keys are bound in scope."""
    return tuple(command for command in commands if scope in command.scopes and command.keys is not None)


def help_rows() -> list[tuple[str, str]]:
    """Help > Keyboard shortcuts: (keys, what they do), the keys in menu order, then the mouse."""
    return [(command.accelerator, command.help) for command in COMMANDS if command.keys and command.help] + \
        list(GESTURES)


def showing_first(tab: Tab | None, show_tab: Callable[[Tab], None], action: Callable[[], None]) -> Callable[[], None]:
    """action, preceded by showing tab (when there is one)."""
    if tab is None:
        return action

    def run() -> None:
        show_tab(tab)
        action()
    return run
