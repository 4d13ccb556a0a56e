"""The command table's keys on real widgets: each scope binds where it says, a key handled there stops
there, a window shortcut that defers to text fields leaves typing alone, and the TEXT_FIELD scope binds
every kind of text field (what Ctrl+A select-all needs)."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import pytest

from imgshare.views.commands.keys import bind_scope
from imgshare.views.commands.table import Command, Keys, Scope, ctrl
from tests.gui import viewsupport
from tests.gui.support import pump_until

tk_root = viewsupport.tk_root  # the fixture: a root on the 96-dpi screen and on the 192-dpi one

TABLE = (
    Command("paste", "Paste", 0, ctrl("v"), "Paste", defer_to_text=True),
    Command("go", "Go", 0, Keys("F5", ("<F5>",)), "Go"),
    Command("select_all", keys=ctrl("a"), help="Select all", scopes=frozenset({Scope.TEXT_FIELD})),
)


def press(root: tk.Tk, widget: tk.Misc, sequence: str) -> None:
    widget.focus_force()
    pump_until(root, lambda: root.focus_get() is widget, what="the focus")
    widget.event_generate(sequence)
    root.update()


def test_window_keys_run_once_and_defer_to_text_fields_where_the_table_says(tk_root):
    ran: list[str] = []
    entry, button = ttk.Entry(tk_root), ttk.Button(tk_root, text="b")
    entry.pack()
    button.pack()
    bind_scope(tk_root, Scope.WINDOW, {"paste": lambda: ran.append("paste"), "go": lambda: ran.append("go")},
               commands=TABLE)
    press(tk_root, button, "<Control-v>")
    press(tk_root, button, "<Control-V>")
    press(tk_root, entry, "<F5>")
    assert ran == ["paste", "paste", "go"]
    press(tk_root, entry, "<Control-v>")  # the entry pastes text; the window's paste stays out of it
    assert ran == ["paste", "paste", "go"]


@pytest.mark.parametrize("make", [tk.Entry, ttk.Entry, ttk.Combobox, ttk.Spinbox])
def test_the_text_field_scope_reaches_every_kind_of_text_field(tk_root, make):
    ran: list[str] = []
    field = make(tk_root)
    field.pack()
    bind_scope(tk_root, Scope.TEXT_FIELD, {"select_all": lambda: ran.append("all")}, commands=TABLE)
    press(tk_root, field, "<Control-a>")
    assert ran == ["all"]


def test_a_scope_without_an_action_for_one_of_its_commands_fails_at_once(tk_root):
    with pytest.raises(KeyError, match="go"):
        bind_scope(tk_root, Scope.WINDOW, {"paste": lambda: None}, commands=TABLE)
