"""Every text field edits as in GNOME and Qt applications: Ctrl+A selects all (in the key field, the
inspector's range fields and Tk's file dialog alike), Ctrl+Z and Ctrl+Shift+Z undo and redo, Ctrl+Backspace
deletes a word, a paste replaces the selection, and a right click opens Undo … Select all."""

from __future__ import annotations

import tkinter as tk

from imgshare.views.commands import table
from imgshare.views.window.menus import entries
from tests.gui.support import pump_until


def focus(app, widget) -> None:
    widget.focus_force()
    pump_until(app, lambda: str(app.root.tk.call("focus")) == str(widget), what="the focus")


def key(app, widget, sequence: str) -> None:
    app.root.tk.call("event", "generate", str(widget), sequence)
    app.root.update()


def type_text(app, widget, text: str) -> None:
    for char in text:
        keysym = {"-": "minus", " ": "space", ".": "period", "/": "slash"}.get(char, char)
        key(app, widget, f"<KeyPress-{keysym}>")


def test_ctrl_a_selects_all_in_the_key_field_and_typing_replaces_it(make_app):
    app = make_app(key="nc-gui")
    entry = app.sender.key_field.entry
    focus(app, entry)
    entry.icursor("end")
    key(app, entry, "<Control-a>")
    assert entry.selection_present() and entry.selection_get() == "nc-gui"
    type_text(app, entry, "169254")
    assert app.sender.key_field.key == "169254"  # not "nc-gui169254", as Emacs's line start gave


def test_undo_redo_word_delete_and_paste_over_the_selection(make_app):
    app = make_app(key="")
    app.notebook.select(app.receiver)
    pump_until(app, lambda: str(app.root.focus_get()) == str(app.receiver.receive_button), what="the tab")
    entry = app.receiver.key_field.entry
    focus(app, entry)
    type_text(app, entry, "camera one")
    key(app, entry, "<Control-BackSpace>")
    assert entry.get() == "camera "
    type_text(app, entry, "two")
    key(app, entry, "<Control-z>")
    assert entry.get() == "camera "
    key(app, entry, "<Control-z>")
    assert entry.get() == "camera one"
    key(app, entry, "<Control-Z>")  # Ctrl+Shift+Z
    assert entry.get() == "camera "
    key(app, entry, "<Control-y>")
    assert entry.get() == "camera two"
    entry.icursor(0)
    key(app, entry, "<Control-Delete>")
    assert entry.get() == " two"
    app.root.clipboard_clear()
    app.root.clipboard_append("lens")
    entry.selection_range(1, "end")
    key(app, entry, "<Control-v>")  # GNOME and Qt replace the selection (Tk on X11 inserts beside it)
    assert entry.get() == " lens" and app.sender.loaded is None  # the window's Ctrl+V stayed out of it
    key(app, entry, "<Control-z>")
    assert entry.get() == " two"
    key(app, entry, "<Home>")
    key(app, entry, "<Shift-End>")
    assert entry.selection_get() == " two"


def test_a_right_click_offers_the_fields_menu(make_app):
    app = make_app(key="menu-key")
    entry = app.sender.key_field.entry
    focus(app, entry)
    menu = app.text_fields.menu
    app.text_fields.popup(str(entry), (entry.winfo_rootx() + 5, entry.winfo_rooty() + 5))
    pump_until(app, menu.winfo_viewable, what="the menu")
    labels = [table.BY_NAME[name].label for name in table.TEXT_MENU if name != table.SEPARATOR]
    assert entries(menu) == labels == ["Undo", "Redo", "Cut", "Copy", "Paste", "Delete", "Select all"]
    states = {str(menu.entrycget(i, "label")): str(menu.entrycget(i, "state")) for i in range(menu.index("end") + 1)
              if menu.type(i) != "separator"}
    assert states["Select all"] == "normal" and states["Cut"] == "disabled"  # nothing selected yet
    assert menu.entrycget(labels.index("Cut") + 1, "accelerator") == "Ctrl+X"
    menu.unpost()
    menu.invoke(menu.index("Select all"))
    assert entry.selection_get() == "menu-key"
    app.text_fields.popup(str(entry), (entry.winfo_rootx() + 5, entry.winfo_rooty() + 5))
    assert str(menu.entrycget(menu.index("Cut"), "state")) == "normal"
    menu.invoke(menu.index("Cut"))
    menu.unpost()
    assert entry.get() == "" and app.root.clipboard_get() == "menu-key"


def test_ctrl_a_in_tk_file_dialog_field(make_app, tmp_path):
    """Tk's own file dialog: its file name field selects all with Ctrl+A too."""
    app = make_app(key="k")
    seen: dict[str, str] = {}

    def drive() -> None:
        field = _dialog_entry(app.root)
        if field is None:
            app.root.after(50, drive)
            return
        app.root.tk.call("focus", "-force", field)
        app.root.tk.call(field, "delete", 0, "end")
        app.root.tk.call(field, "insert", 0, "old-name.png")
        app.root.tk.call(field, "icursor", "end")
        app.root.tk.call("event", "generate", field, "<Control-a>")
        for char in "new":
            app.root.tk.call("event", "generate", field, f"<KeyPress-{char}>")
        seen["field"] = str(app.root.tk.call(field, "get"))
        app.root.tk.call(".__tk_filedialog.contents.f2.cancel", "invoke")  # Cancel (never lost, as a key can be)

    app.root.after(50, drive)
    chosen = app.root.tk.call("tk_getOpenFile", "-parent", str(app.root), "-initialdir", str(tmp_path))
    assert chosen == "" and seen["field"] == "new"


def _dialog_entry(root: tk.Misc) -> str | None:
    """The file name field of Tk's open dialog, once it is on screen."""
    pending = [str(path) for path in root.tk.splitlist(root.tk.call("winfo", "children", "."))]
    while pending:
        path = pending.pop()
        if "filedialog" in path and str(root.tk.call("winfo", "class", path)) == "TEntry" and \
                root.tk.call("winfo", "viewable", path):
            return path
        pending.extend(str(child) for child in root.tk.splitlist(root.tk.call("winfo", "children", path)))
    return None
