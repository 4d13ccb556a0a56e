"""The command table (app/views/commands/table.py) is whole and is the one home of every shortcut:
no clashes, every menu entry a command, every key helped, and no shortcut written anywhere else in the
window's code or missing from it in the README (no display needed)."""

from __future__ import annotations

import ast
import re

from imgshare.views.commands.table import (
    BY_NAME,
    COMMANDS,
    GESTURES,
    IMAGE_MENU,
    MENUS,
    RECENT_FILES,
    SEPARATOR,
    THEMES,
    Scope,
    help_rows,
    in_scope,
    shortcut,
)
from tests.conftest import ROOT

KEY_TEXT = re.compile(r"\b(?:Ctrl|Alt)\+(?:Shift\+)?(?:[A-Z0-9]\b|Enter|Tab|[+-])|\bF\d{1,2}\b")


def test_names_are_unique_and_every_menu_entry_is_a_command():
    assert len(BY_NAME) == len(COMMANDS)
    in_menus = [entry for menu in MENUS for entry in menu.entries if entry not in (SEPARATOR, RECENT_FILES, THEMES)]
    assert set(in_menus) | set(IMAGE_MENU) <= set(BY_NAME)
    labelled = {command.name for command in COMMANDS if command.label}
    assert labelled == set(in_menus) | set(IMAGE_MENU), "a labelled command no menu shows, or the reverse"
    for command in COMMANDS:
        if command.label:
            assert 0 <= command.underline < len(command.label), command.name
        assert not (command.check and command.keys), f"{command.name}: a check entry's keys would not toggle its box"


def test_no_two_commands_of_a_scope_share_keys_and_every_key_is_helped():
    for scope in Scope:
        sequences = [seq for command in in_scope(scope) for seq in command.keys.sequences]
        assert len(sequences) == len(set(sequences)), scope
    texts = [command.accelerator for command in COMMANDS if command.keys]
    assert len(texts) == len(set(texts))
    for command in COMMANDS:
        if command.keys:
            assert command.help, f"{command.name} has keys but no line in Help > Keyboard shortcuts"
    assert ("Ctrl+O", "Open an image file") in help_rows() and help_rows()[-len(GESTURES):] == list(GESTURES)
    assert shortcut("share") == "Ctrl+Enter"


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    """The string constants a module's code holds, docstrings left out."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_the_window_names_a_key_only_through_the_table():
    """Tooltips, placeholders and sentences that mention a shortcut ask shortcut(name), so changing a key
    in the table changes every mention of it."""
    table = ROOT / "app" / "views" / "commands" / "table.py"
    found = []
    for path in sorted((ROOT / "app" / "views").rglob("*.py")):
        if path == table:
            continue
        for line, text in _texts(ast.parse(path.read_text(), str(path))):
            if KEY_TEXT.search(text) and not text.startswith("<"):  # "<Control-s>" is an event sequence
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert not found, found


def test_the_readme_names_only_keys_the_window_has():
    known = {command.accelerator for command in COMMANDS if command.keys} | \
        {part for gesture, _ in GESTURES for part in gesture.split(", ")}
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"\*\*((?:Ctrl|Alt|Shift)\+[^*]+|F\d{1,2}|Esc)\*\*", readme))
    assert named, "the README's window section names its shortcuts in bold"
    assert named <= known, named - known
