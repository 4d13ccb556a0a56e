"""Every text field of the window (and of Tk's own dialogs) edits as in GNOME and Qt applications:
Ctrl+A selects all, Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y) undo and redo, Ctrl+Backspace and Ctrl+Delete
delete a word, a paste replaces the selection, and a right click (or Shift+F10, the Menu key) opens
Undo, Redo, Cut, Copy, Paste, Delete and Select all.

Tk's entries speak Emacs instead (Ctrl+A line start, Ctrl+K kill, Ctrl+Y yank, Ctrl+W cut): those
bindings are taken out, once per Tk interpreter, by `install(root)`. The keys themselves come from
the command table (TEXT_FIELD scope), bound on the entry classes, so they reach fields the window did
not make. An action works on the field that has the focus, by its Tcl path name (Tk's dialogs' fields
have no tkinter object). Tk's entries keep no undo history: each field's is kept here, a snapshot
taken before each edit, typing of a word counted as one step.
"""

from __future__ import annotations

import functools
import re
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field

from ..commands.keys import TEXT_CLASSES, bind_scope
from ..commands.table import BY_NAME, SEPARATOR, TEXT_MENU, Scope
from ..widgets.theme import pad_menu

ENTRY_CLASSES = tuple(cls for cls in TEXT_CLASSES if cls != "Text")
HISTORY = 100  # undo steps kept per field
# Emacs's keys in Tk's virtual events (GNOME and Qt give them other meanings, or none)
EMACS_EVENTS = {
    "<<LineStart>>": ("<Control-Key-a>", "<Control-Lock-Key-A>"),
    "<<LineEnd>>": ("<Control-Key-e>", "<Control-Lock-Key-E>"),
    "<<PrevChar>>": ("<Control-Key-b>", "<Control-Lock-Key-B>"),
    "<<NextChar>>": ("<Control-Key-f>", "<Control-Lock-Key-F>"),
    "<<PrevLine>>": ("<Control-Key-p>", "<Control-Lock-Key-P>"),
    "<<NextLine>>": ("<Control-Key-n>", "<Control-Lock-Key-N>"),
    "<<SelectLineStart>>": ("<Control-Key-A>", "<Control-Lock-Key-a>"),
    "<<SelectLineEnd>>": ("<Control-Key-E>", "<Control-Lock-Key-e>"),
    "<<Paste>>": ("<Control-Key-y>", "<Control-Lock-Key-Y>"),
    "<<Cut>>": ("<Control-Key-w>", "<Control-Lock-Key-W>"),
    "<<Copy>>": ("<Meta-Key-w>", "<Lock-Meta-Key-W>"),
}
EMACS_KEYS = ("<Control-Key-d>", "<Control-Key-h>", "<Control-Key-k>", "<Control-Key-t>", "<Meta-Key-b>",
              "<Meta-Key-d>", "<Meta-Key-f>", "<Meta-Key-BackSpace>", "<Meta-Key-Delete>")
EDITS = ("<Key>", "<Key-BackSpace>", "<Key-Delete>", "<<Paste>>", "<<Cut>>", "<<Clear>>", "<<PasteSelection>>")
_WORD = re.compile(r"\w+\W*$|\W+$")  # the word (and the gap after it) that ends a text
_NEXT_WORD = re.compile(r"^\W*\w+|^\W+")


@dataclass
class History:
    """One field's undo and redo snapshots: (text, cursor)."""

    undo: list[tuple[str, int]] = field(default_factory=list)
    redo: list[tuple[str, int]] = field(default_factory=list)
    typing: bool = False  # the last snapshot began a run of typed characters


class TextFields:
    """The text-field behaviour of one Tk interpreter; `install(root)` makes (or returns) it."""

    def __init__(self, root: tk.Misc):
        self.root = root
        self.histories: dict[str, History] = {}
        self.menu = tk.Menu(root, tearoff=False)
        self._menu_field = ""
        self._unbind_emacs()
        self._track_edits()
        actions: dict[str, Callable[[], None]] = {
            "select_all": lambda: self.select_all(self._focus()), "undo": lambda: self.undo(self._focus()),
            "redo": lambda: self.redo(self._focus()),
            "delete_previous_word": lambda: self.delete_word(self._focus(), backward=True),
            "delete_next_word": lambda: self.delete_word(self._focus(), backward=False),
            "field_menu": lambda: self.popup(self._focus()),
        }
        bind_scope(root, Scope.TEXT_FIELD, actions)
        for cls in ENTRY_CLASSES:
            root.bind_class(cls, "<<Paste>>", self._paste)
        for cls in TEXT_CLASSES:
            root.bind_class(cls, "<Button-3>", self._right_click)

    # -- what the keys and the menu do, on a field's path name ------------------------------------
    def select_all(self, path: str) -> None:
        if self._is_text(path):
            self.root.tk.call(path, "tag", "add", "sel", "1.0", "end-1c")
            return
        self.root.tk.call(path, "selection", "range", 0, "end")
        self.root.tk.call(path, "icursor", "end")

    def undo(self, path: str) -> None:
        if self._is_text(path):
            self.root.tk.call("event", "generate", path, "<<Undo>>")
            return
        history = self._history(path)
        now = self._state(path)
        while history.undo and history.undo[-1][0] == now[0]:
            history.undo.pop()  # a snapshot of the text as it is: nothing to undo there
        if history.undo and self._editable(path):
            history.redo.append(now)
            self._set(path, *history.undo.pop())
        history.typing = False

    def redo(self, path: str) -> None:
        if self._is_text(path):
            self.root.tk.call("event", "generate", path, "<<Redo>>")
            return
        history = self._history(path)
        if history.redo and self._editable(path):
            history.undo.append(self._state(path))
            self._set(path, *history.redo.pop())
        history.typing = False

    def delete_word(self, path: str, backward: bool) -> None:
        """Ctrl+Backspace, Ctrl+Delete: the selection if there is one, else the word before (after) the cursor."""
        if self._is_text(path) or not self._editable(path):
            return
        if self._has_selection(path):
            self._remember(path, typing=False)
            self.root.tk.call(path, "delete", "sel.first", "sel.last")
            return
        text, cursor = self._state(path)
        found = _WORD.search(text[:cursor]) if backward else _NEXT_WORD.search(text[cursor:])
        if found is None:
            return
        self._remember(path, typing=False)
        start, end = (found.start(), cursor) if backward else (cursor, cursor + found.end())
        self.root.tk.call(path, "delete", start, end)

    def cut(self, path: str) -> None:
        self.root.tk.call("event", "generate", path, "<<Cut>>")

    def copy(self, path: str) -> None:
        self.root.tk.call("event", "generate", path, "<<Copy>>")

    def paste(self, path: str) -> None:
        self.root.tk.call("event", "generate", path, "<<Paste>>")

    def delete(self, path: str) -> None:
        if self._has_selection(path) and self._editable(path):
            self._remember(path, typing=False)
            self.root.tk.call(path, "delete", "sel.first", "sel.last")

    def popup(self, path: str, at: tuple[int, int] | None = None) -> None:
        """The field's menu, at the pointer (a right click) or below the cursor (keys)."""
        if not path:
            return
        self._menu_field = path
        self.root.tk.call("focus", path)
        self._fill_menu(path)
        if at is None:
            x = int(self.root.tk.call("winfo", "rootx", path))
            y = int(self.root.tk.call("winfo", "rooty", path)) + int(self.root.tk.call("winfo", "height", path))
            if not self._is_text(path):
                x += int(self.root.tk.call(path, "bbox", "insert")[0])
            at = (x, y)
        self.menu.tk_popup(*at)

    # -- inside ------------------------------------------------------------------------------------
    def _fill_menu(self, path: str) -> None:
        editable, selected = self._editable(path), self._has_selection(path)
        history = self._history(path)
        able = {"undo": editable and bool(history.undo or self._is_text(path)),
                "redo": editable and bool(history.redo or self._is_text(path)),
                "cut": editable and selected, "copy": selected, "paste": editable and self._clipboard_has_text(),
                "delete": editable and selected, "select_all": bool(self._state(path)[0])}
        run: dict[str, Callable[[str], None]] = {
            "undo": self.undo, "redo": self.redo, "cut": self.cut, "copy": self.copy, "paste": self.paste,
            "delete": self.delete, "select_all": self.select_all}
        self.menu.delete(0, "end")
        for entry in TEXT_MENU:
            if entry == SEPARATOR:
                self.menu.add_separator()
                continue
            command, name = BY_NAME[entry], entry.removeprefix("text_")
            self.menu.add_command(label=command.label, underline=command.underline, accelerator=command.accelerator,
                                  state="normal" if able[name] else "disabled",
                                  command=functools.partial(self._run_on_menu_field, run[name]))
        pad_menu(self.menu)

    def _run_on_menu_field(self, action: Callable[[str], None]) -> None:
        action(self._menu_field)

    def _right_click(self, event: tk.Event) -> str:
        self.popup(str(event.widget), (event.x_root, event.y_root))
        return "break"

    def _paste(self, event: tk.Event) -> str:
        """Paste over the selection, as GNOME and Qt do (Tk on X11 inserts beside it)."""
        path = str(event.widget)
        if not self._editable(path):
            return "break"
        try:
            text = self.root.clipboard_get()
        except tk.TclError:
            return "break"
        self._remember(path, typing=False)
        if self._has_selection(path):
            self.root.tk.call(path, "icursor", "sel.first")
            self.root.tk.call(path, "delete", "sel.first", "sel.last")
        self.root.tk.call(path, "insert", "insert", text)
        if self._is_ttk(path):
            self.root.tk.call("ttk::entry::See", path, "insert")
        else:
            self.root.tk.call("tk::EntrySeeInsert", path)
        return "break"

    def _unbind_emacs(self) -> None:
        call = self.root.tk.call
        for virtual, sequences in EMACS_EVENTS.items():
            call("event", "delete", virtual, *sequences)
        for cls in ENTRY_CLASSES:
            for sequence in EMACS_KEYS:
                call("bind", cls, sequence, "")

    def _track_edits(self) -> None:
        """A snapshot before each edit: Tcl runs the command first, then the class's own binding."""
        command = self.root.register(self._before_edit)
        for cls in ENTRY_CLASSES:
            for sequence in EDITS:
                script = str(self.root.tk.call("bind", cls, sequence))
                if script and command not in script:
                    self.root.tk.call("bind", cls, sequence, f"{command} %W %K %A\n{script}")

    def _before_edit(self, path: str, keysym: str, char: str) -> None:
        typed = len(char) == 1 and char.isprintable()
        if keysym not in ("BackSpace", "Delete") and not typed and keysym != "??":
            return  # a key that edits nothing (a modifier, an arrow): no snapshot
        if not self._editable(path):
            return
        self._remember(path, typing=typed and not char.isspace())

    def _remember(self, path: str, typing: bool) -> None:
        history = self._history(path)
        if typing and history.typing:
            return  # the same word: one undo step
        state = self._state(path)
        if not history.undo or history.undo[-1][0] != state[0]:
            history.undo.append(state)
            del history.undo[:-HISTORY]
        history.redo.clear()
        history.typing = typing

    def _history(self, path: str) -> History:
        return self.histories.setdefault(path, History())

    def _state(self, path: str) -> tuple[str, int]:
        if self._is_text(path):
            return str(self.root.tk.call(path, "get", "1.0", "end-1c")), 0
        return str(self.root.tk.call(path, "get")), int(self.root.tk.call(path, "index", "insert"))

    def _set(self, path: str, text: str, cursor: int) -> None:
        call = self.root.tk.call
        call(path, "selection", "clear")
        call(path, "delete", 0, "end")
        call(path, "insert", 0, text)
        call(path, "icursor", cursor)

    def _focus(self) -> str:
        return str(self.root.tk.call("focus"))

    def _is_text(self, path: str) -> bool:
        return str(self.root.tk.call("winfo", "class", path)) == "Text"

    def _is_ttk(self, path: str) -> bool:
        return str(self.root.tk.call("winfo", "class", path)).startswith("T")

    def _editable(self, path: str) -> bool:
        if self._is_ttk(path):
            return not bool(self.root.tk.call(path, "instate", "disabled")) and \
                not bool(self.root.tk.call(path, "instate", "readonly"))
        return str(self.root.tk.call(path, "cget", "-state")) == "normal"

    def _has_selection(self, path: str) -> bool:
        if self._is_text(path):
            return bool(self.root.tk.call(path, "tag", "ranges", "sel"))
        return bool(self.root.tk.call(path, "selection", "present"))

    def _clipboard_has_text(self) -> bool:
        try:
            return bool(self.root.clipboard_get())
        except tk.TclError:
            return False


def install(root: tk.Misc) -> TextFields:
    """Make root's interpreter's text fields edit as in GNOME and Qt (once per interpreter)."""
    made: TextFields | None = getattr(root, "_imgshare_text_fields", None)
    if made is None:
        made = TextFields(root)
        root._imgshare_text_fields = made  # type: ignore[attr-defined]
    return made
