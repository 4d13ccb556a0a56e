"""What the compare panel asks the user (and hands to the desktop): the expected file, the folders of
a batch, whether to replace a golden, and opening a report. Tests replace these with answers."""

from __future__ import annotations

import os
import tkinter as tk
from tkinter import filedialog, messagebox

from ...imaging import open_formats


def ask_expected_path(parent: tk.Misc) -> str:
    return filedialog.askopenfilename(parent=parent, title="Compare with file", filetypes=open_formats())


def ask_folders(parent: tk.Misc) -> tuple[str, str, str] | None:
    """The folder of actual images, the folder of expected ones, and where the report goes (None: cancelled)."""
    chosen = []
    for title in ("Folder of actual images", "Folder of expected images (the goldens)",
                  "Folder to write the report in"):
        folder = filedialog.askdirectory(parent=parent, title=title)
        if not folder:
            return None
        chosen.append(folder)
    return chosen[0], chosen[1], chosen[2]


def open_report(path: str) -> None:
    import webbrowser
    webbrowser.open(f"file://{os.path.abspath(path)}")


def ask_accept(parent: tk.Misc, path: str) -> bool:
    return bool(messagebox.askyesno(
        "Accept as expected", f"Replace {os.path.basename(path)} with the received image?\n\n"
        f"{path} is overwritten; comparisons from now on expect the received pixels.", parent=parent))
