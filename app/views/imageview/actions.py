"""Save as… and Copy for the image a tab shows, shared by both tabs, the menus and the image's
right-click menu: the dialog starts in the last folder used, the status bar says that it is saving
and then what it saved (and that a JPEG or WebP file is lossy)."""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog

from PIL import Image

from ...fidelity import Verdict
from ...image16 import Image16
from ...ipc import ImgShareError
from ..background.worker import Worker
from ..desktop.clipboard import ClipboardError
from ..widgets.status_bar import StatusBar
from . import actions_model

USER_ERRORS = (ImgShareError, ClipboardError)  # said in the status bar; anything else is an internal error
SAVE_TYPES = [("PNG", "*.png"), ("TIFF (every mode)", "*.tif *.tiff"), ("JPEG (lossy)", "*.jpg *.jpeg"),
              ("WebP (lossy)", "*.webp"), ("All files", "*")]


def ask_save_path(parent: tk.Misc, suggested: str, folder: str = "") -> str:
    return filedialog.asksaveasfilename(
        parent=parent, title="Save image as", initialfile=suggested, initialdir=folder or None,
        defaultextension=os.path.splitext(suggested)[1], filetypes=SAVE_TYPES)


def save(worker: Worker, status: StatusBar, image: Image.Image | Image16, path: str,
         on_saved: Callable[[str], None] | None = None) -> None:
    """Write image to path in worker; the status bar says "Saving…" now and what was saved after."""
    status.say(f"Saving {os.path.basename(path)}...")

    def saved(result: tuple[str, Verdict]) -> None:
        written, verdict = result
        status.say(actions_model.saved_text(written, image, verdict))
        if on_saved is not None:
            on_saved(written)

    worker.submit(actions_model.save, image, path, done=saved, failed=lambda exc: _failed(status, exc))


def copy(worker: Worker, status: StatusBar, image: Image.Image | Image16) -> None:
    status.say("Copying the image to the clipboard...")
    worker.submit(actions_model.copy, image, failed=lambda exc: _failed(status, exc),
                  done=lambda note: status.say(f"Copied the image to the clipboard{note}"))


def _failed(status: StatusBar, exc: BaseException) -> None:
    if not isinstance(exc, USER_ERRORS):
        raise exc  # an internal error: the window's callback hook logs it and says where
    status.error(str(exc))
