"""Binding the table's shortcuts: a scope's commands onto the widget (or widget classes) that serves it."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Mapping
from tkinter import ttk

from .table import COMMANDS, Command, Scope, in_scope

Action = Callable[[], None]
TEXT_CLASSES = ("Entry", "TEntry", "TCombobox", "Spinbox", "TSpinbox", "Text")


def bind_scope(widget: tk.Misc, scope: Scope, actions: Mapping[str, Action],
               commands: tuple[Command, ...] = COMMANDS) -> None:
    """Bind every command of scope that has keys: on widget for WINDOW and IMAGE_VIEW, on the text entry
    classes of widget's interpreter for TEXT_FIELD. actions must hold each one (KeyError otherwise);
    a handled key stops there, so a window-wide binding of the same keys does not run it twice."""
    for command in in_scope(scope, commands):
        handler = _handler(actions[command.name], command.defer_to_text)
        assert command.keys is not None
        for sequence in command.keys.sequences:
            if scope is Scope.TEXT_FIELD:
                for cls in TEXT_CLASSES:
                    widget.bind_class(cls, sequence, handler)
            else:
                widget.bind(sequence, handler)


def _handler(action: Action, defer_to_text: bool) -> Callable[[tk.Event], str | None]:
    def handle(event: tk.Event) -> str | None:
        if defer_to_text and is_text_field(event.widget):
            return None  # the field's own binding for these keys already ran (Ctrl+V pastes text there)
        action()
        return "break"
    return handle


def is_text_field(widget: object) -> bool:
    """Whether widget is a text entry (typing goes there)."""
    return isinstance(widget, (tk.Entry, ttk.Entry, tk.Text))
