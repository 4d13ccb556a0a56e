"""The Receiver tab's compare panel: "Compare with file..." loads an expected image, says whether the
received image is pixel-exact and if not how many pixels differ and by how much, and can show where
(the differing pixels highlighted over the dimmed image). While following, each new frame is compared.

Loading and comparing run in the panel's own worker; a burst of frames compares only the newest.
"""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk
from tkinter import font as tkfont

from PIL import Image

from ...compare import Comparison, compare, difference_overlay, load_expected
from ...image16 import Image16
from ...imaging import open_formats
from ...ipc import ImgShareError
from ..background.worker import Worker
from ..imageview.view import ImageView

PANEL_CHARS = 28  # text wraps at this many characters of the default font


def ask_expected_path(parent: tk.Misc) -> str:
    return filedialog.askopenfilename(parent=parent, title="Compare with file", filetypes=open_formats())


class Outcome:
    """A comparison done in the worker: the expected image, what was compared, the result, the mask."""

    def __init__(self, expected: Image.Image | Image16, received: Image.Image | Image16, name: str):
        self.expected, self.received, self.name = expected, received, name
        self.result: Comparison
        self.mask: Image.Image | None
        self.result, self.mask = compare(received, expected)


def _load_and_compare(path: str, received: Image.Image | Image16) -> Outcome:
    return Outcome(load_expected(path), received, os.path.basename(path))


class ComparePanel(ttk.Frame):
    """`ComparePanel(master, view, get_received)`; the tab calls refresh() on each new followed frame.
    `ask_open_path` may be replaced (tests return a path); on_result hears each result sentence."""

    def __init__(self, master: tk.Misc, view: ImageView, get_received: Callable[[], Image.Image | Image16 | None]):
        super().__init__(master)
        self.view = view
        self.get_received = get_received
        self.ask_open_path: Callable[[tk.Misc], str] = ask_expected_path
        self.on_result: Callable[[str], None] | None = None
        self.outcome: Outcome | None = None
        self.compared = 0  # comparisons put on screen (tests wait on it)
        self._stale = False
        wrap = tkfont.nametofont("TkDefaultFont").measure("0") * PANEL_CHARS
        self.compare_button = ttk.Button(self, text="Compare with file...", command=self.choose)
        self.compare_button.grid(row=0, column=0, sticky="w")
        self.clear_button = ttk.Button(self, text="Stop comparing", command=self.clear, state="disabled")
        self.clear_button.grid(row=0, column=1, sticky="w")
        self.expected_var = tk.StringVar(self, "No expected image")
        ttk.Label(self, textvariable=self.expected_var, style="Muted.TLabel", wraplength=wrap).grid(
            row=1, column=0, columnspan=2, sticky="w")
        self.result_var = tk.StringVar(self, "")
        self.result_label = ttk.Label(self, textvariable=self.result_var, wraplength=wrap)
        self.result_label.grid(row=2, column=0, columnspan=2, sticky="w")
        self.result_label.grid_remove()  # takes room only when there is a result
        self.result_var.trace_add("write", lambda *_: self._result_changed())
        self.show_var = tk.BooleanVar(self, False)
        self.show_check = ttk.Checkbutton(self, text="Show differing pixels", variable=self.show_var,
                                          command=self._apply_overlay, state="disabled")
        self.show_check.grid(row=3, column=0, columnspan=2, sticky="w")
        self._worker = Worker(self, "compare")
        self.bind("<Destroy>", lambda e: self._worker.close() if e.widget is self else None)

    def _result_changed(self) -> None:
        if self.result_var.get():
            self.result_label.grid()
        else:
            self.result_label.grid_remove()

    @property
    def result(self) -> Comparison | None:
        return self.outcome.result if self.outcome is not None else None

    def choose(self) -> None:
        """Ask for the expected file, then load it and compare (in the worker)."""
        received = self.get_received()
        if received is None:
            self._say("Receive an image first, then compare it with a file")
            return
        path = self.ask_open_path(self)
        if path:
            self.result_var.set("Comparing...")
            self._worker.submit(_load_and_compare, path, received, done=self._show, failed=self._failed)

    def refresh(self) -> None:
        """A new received image: compare it with the expected one (if any), the newest of a burst only."""
        received = self.get_received()
        outcome = self.outcome
        if outcome is None or received is None or received is outcome.received:
            return
        if self._worker.busy:
            self._stale = True
            return
        self._stale = False
        self._worker.submit(Outcome, outcome.expected, received, outcome.name, done=self._show,
                            failed=self._failed)

    def clear(self) -> None:
        """Forget the expected image and take the highlight off the view."""
        self.outcome = None
        self._stale = False
        self.expected_var.set("No expected image")
        self.result_var.set("")
        self.show_var.set(False)
        self.show_check.configure(state="disabled")
        self.clear_button.configure(state="disabled")
        self.view.set_overlay(None)

    # -- results, on the Tk thread -----------------------------------------------------------------
    def _show(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.compared += 1
        self.expected_var.set(f"Expected: {outcome.name} ({outcome.expected.width}x{outcome.expected.height} "
                              f"{outcome.expected.mode})")
        self.clear_button.configure(state="normal")
        self.show_check.configure(state="normal" if outcome.mask is not None else "disabled")
        summary = outcome.result.summary()
        self.result_var.set(summary[0].upper() + summary[1:])
        self._apply_overlay()
        self._say(f"Compared with {outcome.name}: {summary}")
        if self._stale:
            self.refresh()

    def _apply_overlay(self) -> None:
        outcome = self.outcome
        mask = outcome.mask if outcome is not None else None
        if self.show_var.get() and mask is not None:
            self.view.set_overlay(lambda base: difference_overlay(base, mask))
        else:
            self.view.set_overlay(None)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ImgShareError):
            raise exc  # an internal error: the window's callback hook logs it and says where
        self.result_var.set(f"Cannot compare: {exc}")
        self._say(f"Cannot compare: {exc}")

    def _say(self, text: str) -> None:
        if self.on_result is not None:
            self.on_result(text)
        elif not self.result_var.get():
            self.result_var.set(text)
