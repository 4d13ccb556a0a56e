"""Help > Keyboard shortcuts, Documentation and About: small themed dialogs with a Close button.

The About box shows the version and this machine's System V limits, read from /proc/sys/kernel
(what decides how large and how many shares this machine allows).
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from tkinter import ttk

from ... import __version__
from ..commands.table import help_rows
from ..widgets.theme import units

# /proc/sys/kernel file -> what it limits; "sem" holds four numbers
SHM_LIMITS = (("shmmax", "SHMMAX", "largest segment, bytes"), ("shmall", "SHMALL", "all segments, pages"),
              ("shmmni", "SHMMNI", "segments on the machine"))
SEM_NAMES = (("SEMMSL", "semaphores per set"), ("SEMMNS", "semaphores on the machine"),
             ("SEMOPM", "operations per call"), ("SEMMNI", "semaphore sets on the machine"))
DOCS = ("The README explains the window, the command line (imgshare --help, imgshare COMMAND --help) and "
        "the Python API; docs/protocol.md describes the shared memory layout byte by byte, docs/qt.md the "
        "Qt mode, docs/RELIABILITY.md what happens when a program dies.")


def sysv_limits(folder: Path = Path("/proc/sys/kernel")) -> list[tuple[str, str, str]]:
    """(name, value, meaning) of this machine's System V limits; "unknown" where unreadable."""
    rows = []
    for file, name, meaning in SHM_LIMITS:
        rows.append((name, _read(folder / file), meaning))
    numbers = _read(folder / "sem").split()
    for index, (name, meaning) in enumerate(SEM_NAMES):
        rows.append((name, numbers[index] if len(numbers) == len(SEM_NAMES) else "unknown", meaning))
    return rows


def _read(path: Path) -> str:
    try:
        return " ".join(path.read_text().split()) or "unknown"
    except OSError:
        return "unknown"


def docs_folder() -> Path | None:
    """The source tree's docs, when imgshare runs from one (the binary carries no documents)."""
    root = Path(__file__).resolve().parents[3]  # app/views/window/ -> the checkout
    return root if (root / "README.md").is_file() else None


class InfoDialog(tk.Toplevel):
    """A titled dialog of a heading, an optional paragraph and name/value rows; Escape or Close shuts it."""

    def __init__(self, master: tk.Misc, title: str, heading: str, text: str = "",
                 rows: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()):
        super().__init__(master)
        u = units(master)
        self.title(title)
        self.transient(master.winfo_toplevel())
        body = ttk.Frame(self, padding=u.pad * 4)
        body.pack(fill="both", expand=True)
        ttk.Label(body, text=heading, font="ImgshareHeading").grid(row=0, column=0, columnspan=2, sticky="w")
        row = 1
        if text:
            ttk.Label(body, text=text, wraplength=u.chars(60), justify="left").grid(
                row=row, column=0, columnspan=2, sticky="w", pady=(u.pad * 2, 0))
            row += 1
        self.rows = list(rows)
        for number, (name, value) in enumerate(self.rows, start=row):
            ttk.Label(body, text=name, style="Muted.TLabel").grid(row=number, column=0, sticky="nw",
                                                                  padx=(0, u.pad * 4), pady=(u.pad, 0))
            ttk.Label(body, text=value, wraplength=u.chars(50), justify="left").grid(
                row=number, column=1, sticky="nw", pady=(u.pad, 0))
        self.close_button = ttk.Button(body, text="Close", command=self.destroy, style="Accent.TButton")
        self.close_button.grid(row=row + len(self.rows), column=0, columnspan=2, sticky="e", pady=(u.pad * 4, 0))
        self.bind("<Escape>", lambda _e: self.destroy())
        self.close_button.focus_set()


def about(master: tk.Misc) -> InfoDialog:
    rows = [(name, f"{value}  ({meaning})") for name, value, meaning in sysv_limits()]
    return InfoDialog(master, "About imgshare", f"imgshare {__version__}",
                      "Hands an image from one process to another through System V shared memory. "
                      "This machine's System V limits (from /proc/sys/kernel):", rows)


def shortcuts(master: tk.Misc) -> InfoDialog:
    return InfoDialog(master, "Keyboard shortcuts", "Keyboard shortcuts", rows=help_rows())


def documentation(master: tk.Misc) -> InfoDialog:
    folder = docs_folder()
    rows = [("README", str(folder / "README.md")), ("Protocol", str(folder / "docs" / "protocol.md")),
            ("Qt mode", str(folder / "docs" / "qt.md"))] if folder else []
    text = DOCS if folder else DOCS + " Run imgshare --help for the command line."
    return InfoDialog(master, "Documentation", "Documentation", text, rows)
