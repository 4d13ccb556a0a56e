"""imgshare's Tk window, in rooms: each subpackage holds a part of the window, its widgets beside its
Tk-free model (`x.py` the widgets or controller, `x_model.py` or `model.py` what they compute, which
imports no tkinter: an import contract in pyproject.toml lists them, and a new one belongs there).

    window/      the App (build_app, run_gui), menus, Help dialogs, title, icon and size
    sender/      the Sender tab: `tab` over `model` (load an image, the serving session)
    receiver/    the Receiver tab: `tab` over `model` (receive), Follow (`follow`), the key list of
                 shares (`key_list`), the compare panel
    inspector/   the panel beside an image: the pixel, the value range, the histogram
    imageview/   the zoomable image view both tabs use, its input, its renderer, Save as… and Copy
    widgets/     widgets any room uses (status bar, key field, flow row…) and the theme
    commands/    every command's menu label, shortcut and help line in one table, and their binding
    desktop/     the clipboard, dropped files, the desktop's dark preference
    background/  work off the Tk thread: Worker (jobs) and Inbox (other threads' news)

A room imports only from the rooms listed below it (window from all; the last four from none), and
from imgshare's public API (imgshare.ipc, never its modules); import-linter holds both.
"""
