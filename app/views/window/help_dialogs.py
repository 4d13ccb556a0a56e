"""Help > Keyboard shortcuts, Documentation and About: small themed dialogs with a Close button.

Documentation lists the README and docs/*.md (imgshare/documents.py: the binary carries them) and opens
each in a reader window. The About box shows the version and this machine's System V limits, read from
/proc/sys/kernel (what decides how large and how many shares this machine allows); the kernel's
"no limit" (ULONG_MAX less 2**24) reads as "no limit".
"""

from __future__ import annotations

import functools
import tkinter as tk
from pathlib import Path
from tkinter import ttk

from ... import __version__
from ...documents import Document, documents
from ..commands.table import help_rows
from ..widgets.theme import palette, units

# /proc/sys/kernel file -> what it limits; "sem" holds four numbers
SHM_LIMITS = (("shmmax", "SHMMAX", "largest segment, bytes"), ("shmall", "SHMALL", "all segments, pages"),
              ("shmmni", "SHMMNI", "segments on the machine"))
SEM_NAMES = (("SEMMSL", "semaphores per set"), ("SEMMNS", "semaphores on the machine"),
             ("SEMOPM", "operations per call"), ("SEMMNI", "semaphore sets on the machine"))
DOCS = ("imgshare's documents, as shipped with this copy; the command line explains itself too "
        "(imgshare --help, imgshare COMMAND --help).")
NO_DOCS = ("This copy of imgshare carries no documents: run imgshare --help and imgshare COMMAND --help "
           "for the command line.")
NO_LIMIT_FROM = 1 << 62  # the kernel's defaults for SHMMAX and SHMALL are ULONG_MAX - 2**24: no limit
READER_SIZE = (90, 32)  # a document reader's size in characters and lines of the default font


def sysv_limits(folder: Path = Path("/proc/sys/kernel")) -> list[tuple[str, str, str]]:
    """(name, value, meaning) of this machine's System V limits; "unknown" where unreadable."""
    rows = []
    for file, name, meaning in SHM_LIMITS:
        rows.append((name, _limit(_read(folder / file)), meaning))
    numbers = _read(folder / "sem").split()
    for index, (name, meaning) in enumerate(SEM_NAMES):
        rows.append((name, numbers[index] if len(numbers) == len(SEM_NAMES) else "unknown", meaning))
    return rows


def _limit(value: str) -> str:
    """A limit as a person reads it: 'no limit' for the kernel's huge default."""
    return "no limit" if value.isdigit() and int(value) >= NO_LIMIT_FROM else value


def _read(path: Path) -> str:
    try:
        return " ".join(path.read_text().split()) or "unknown"
    except OSError:
        return "unknown"


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
        self.open_buttons: list[ttk.Button] = []  # Documentation's: one per document
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
    """The documents there are, each with a button that opens it in a reader window."""
    found = documents()
    dialog = InfoDialog(master, "Documentation", "Documentation", DOCS if found else NO_DOCS,
                        [(document.title, str(document.path)) for document in found])
    u = units(master)
    body = dialog.close_button.master
    for number, document in enumerate(found):
        button = ttk.Button(body, text="Open", command=functools.partial(read, dialog, document))
        button.grid(row=2 + number, column=2, sticky="ne", padx=(u.pad * 2, 0), pady=(u.pad, 0))
        dialog.open_buttons.append(button)
    return dialog


class DocumentReader(tk.Toplevel):
    """A document's text in a scrolled, read-only window (Markdown is readable as it is)."""

    def __init__(self, master: tk.Misc, document: Document):
        super().__init__(master)
        u = units(master)
        colours = palette(master)
        self.title(f"{document.title} – imgshare")
        self.transient(master.winfo_toplevel())
        self.text = tk.Text(self, wrap="word", width=READER_SIZE[0], height=READER_SIZE[1], borderwidth=0,
                            padx=u.pad * 3, pady=u.pad * 2, background=colours.field, foreground=colours.foreground,
                            insertbackground=colours.foreground, highlightthickness=0, font="TkDefaultFont")
        bar = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=bar.set)
        bar.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        try:
            content = document.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            content = f"Cannot read {document.path}: {exc.strerror or exc}"
        self.text.insert("1.0", content)
        self.text.configure(state="disabled")
        self.bind("<Escape>", lambda _e: self.destroy())
        self.text.focus_set()


def read(master: tk.Misc, document: Document) -> DocumentReader:
    return DocumentReader(master, document)
