"""The Receiver tab: receive (or follow) the image under a key, show it and its header, save it or copy
it; the key field lists this user's shares."""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk

from ..ipc import ImgShareError
from . import clipboard, receiving
from .clipboard import ClipboardError
from .imageview import ImageView
from .infopanel import InfoPanel
from .keyfield import KeyField
from .receiver_follow import FollowController
from .receiver_shares import SharesController
from .status import show_busy
from .worker import Worker

USER_ERRORS = (ImgShareError, ClipboardError)
WATCH_MS = 2000  # how often the sender's state is looked up again
AGE_MS = 1000


def ask_save_path(parent, suggested: str) -> str:
    return filedialog.asksaveasfilename(
        parent=parent, title="Save image as", initialfile=suggested,
        defaultextension=os.path.splitext(suggested)[1],
        filetypes=[("PNG", "*.png"), ("TIFF (every mode)", "*.tif *.tiff"), ("All files", "*")])


class ReceiverTab(ttk.Frame):
    """Thin view over receiving.py; `ask_save_path` may be replaced (tests return a path)."""

    def __init__(self, master, status, key: str):
        super().__init__(master, padding=8)
        self.status = status
        self.ask_save_path: Callable[[tk.Misc, str], str] = ask_save_path
        self.lock_timeout = 5.0
        self.got: receiving.Got | None = None
        self._state: str | None = None
        self.worker = Worker(self, "receiver", on_busy=self._busy)
        self._watcher = Worker(self, "watch")
        self.key_field = KeyField(self, key, postcommand=lambda: self.shares.refresh())
        self.key_field.grid(row=0, column=0, columnspan=2, sticky="w")
        bar = ttk.Frame(self)
        bar.grid(row=1, column=0, columnspan=2, sticky="ew", pady=6)
        # Packed first so that a narrow window squeezes the progress bar, not the button.
        self.clean_button = ttk.Button(bar, text="Clean up", command=lambda: self.shares.clean())
        self.clean_button.pack(side="right")
        self.shares_label = ttk.Label(bar, text="", foreground="#555555")
        self.shares_label.pack(side="right", padx=8)
        self.receive_button = ttk.Button(bar, text="Receive", command=self.receive)
        self.follow_var = tk.BooleanVar(self, False)
        self.follow_check = ttk.Checkbutton(bar, text="Follow", variable=self.follow_var,
                                            command=self._follow_toggled)
        self.qt_var = tk.BooleanVar(self, False)
        self.qt_check = ttk.Checkbutton(bar, text="Qt compatible", variable=self.qt_var,
                                        command=self._qt_toggled)
        self.save_button = ttk.Button(bar, text="Save as...", command=self.save, state="disabled")
        self.copy_button = ttk.Button(bar, text="Copy", command=self.copy, state="disabled")
        for button in (self.receive_button, self.follow_check, self.qt_check, self.save_button,
                       self.copy_button):
            button.pack(side="left", padx=(0, 6))
        self.one_to_one = tk.BooleanVar(self, False)
        self.one_to_one_check = ttk.Checkbutton(bar, text="1:1", variable=self.one_to_one,
                                                command=lambda: self.view.set_one_to_one(self.one_to_one.get()))
        self.one_to_one_check.pack(side="left", padx=(6, 0))
        self.progress = ttk.Progressbar(bar, mode="indeterminate", length=160)
        self.view = ImageView(self, placeholder="Press Receive (Ctrl+R) to show the image shared under the key")
        self.view.grid(row=2, column=0, sticky="nsew")
        self.panel = InfoPanel(self, "What the header says", ["Size", "Mode", "Source", "Sequence", "Sender",
                                                               "Age", "Frame rate", "Key"])
        self.panel.grid(row=2, column=1, sticky="n", padx=(8, 0))
        self.rowconfigure(2, weight=1)
        self.columnconfigure(0, weight=1)
        self._age_after = self.after(AGE_MS, self._tick_age)
        self._watch_after = self.after(WATCH_MS, self._watch)
        self.follow = FollowController(self)
        self.shares = SharesController(self)
        self.key_field.entry.bind("<<ComboboxSelected>>", lambda _e: self.shares.picked())
        self.key_field.var.trace_add("write", lambda *_: self.follow.key_changed())
        self.panel.show([("Frame rate", "not following")])

    # -- actions -----------------------------------------------------------------------------------
    def receive(self) -> None:
        key = self.key_field.key
        self.status.say(f"Receiving under key {key!r}...")
        self.worker.submit(receiving.receive, key, self.lock_timeout, self.qt_var.get(), done=self._show,
                           failed=self._receive_failed)

    def _qt_toggled(self) -> None:
        """Qt mode reads what QSharedMemory programs share; they send no new-image signal to follow."""
        qt = self.qt_var.get()
        if qt and self.follow_var.get():
            self.set_follow(False)
        self.follow_check.configure(state="disabled" if qt else "normal")
        self.status.say("Qt compatible: Receive reads images shared by Qt programs (QSharedMemory) under "
                        "the key; Follow is not available" if qt else "Receiving imgshare shares")

    def set_follow(self, on: bool) -> None:
        """Turn Follow on or off, as the checkbutton does."""
        self.follow_var.set(on)
        self._follow_toggled()

    def key_picked(self) -> None:
        """A share was picked from the key list: follow it if Follow is on, else receive it once."""
        if self.follow_var.get():
            self.follow.start()
        else:
            self.receive()

    def save(self) -> None:
        if self.got is None:
            self.status.error("Receive an image first (Ctrl+R), then save it")
            return
        path = self.ask_save_path(self, receiving.suggested_name(self.got.info, self.got.image.mode))
        if path:
            self.worker.submit(receiving.save, self.got.image, path,
                               done=lambda p: self.status.say(f"Saved {p}"), failed=self._failed)

    def copy(self) -> None:
        if self.got is None:
            self.status.error("Receive an image first (Ctrl+R), then copy it")
            return
        self.worker.submit(clipboard.copy, self.got.image, failed=self._failed,
                           done=lambda note: self.status.say(f"Copied the image to the clipboard{note}"))

    def close(self) -> None:
        for after_id in (self._age_after, self._watch_after):
            self.after_cancel(after_id)
        self.follow.close()
        self.shares.close()
        self.worker.close()
        self._watcher.close()
        self.view.close()

    # -- results, on the Tk thread -----------------------------------------------------------------
    def _show(self, got: receiving.Got) -> None:
        self.got, self._state = got, None
        self.view.show(got.base)
        self.panel.show(receiving.info_rows(got.info))
        self.save_button.configure(state="normal")
        self.copy_button.configure(state="normal")
        info = got.info
        self.status.say(f"Received {info.width}x{info.height} {info.mode} under key {info.key!r}, "
                        f"sequence {info.sequence}, from pid {info.sender_pid} ({info.state})")

    def show_followed(self, got: receiving.Got) -> None:
        """A followed frame: shown in place (zoom and scroll kept), its header beside it."""
        first = self.got is None
        self.got, self._state = got, None
        self.view.show(got.base, keep_place=True)
        self.panel.show([row for row in receiving.info_rows(got.info) if row[0] != "Age"])  # ticked apart
        if first:
            self.save_button.configure(state="normal")
            self.copy_button.configure(state="normal")

    def _follow_toggled(self) -> None:
        if not self.follow_var.get():
            was = self.follow.session.key if self.follow.session else None
            self.follow.stop()
            if was is not None:
                self.status.say(f"Stopped following key {was!r}")
        elif not self.follow.start():
            self.follow_var.set(False)

    def _receive_failed(self, exc: BaseException) -> None:
        self._failed(exc, "; the previous image stays on screen" if self.got is not None else "")

    def _failed(self, exc: BaseException, note: str = "") -> None:
        if not isinstance(exc, USER_ERRORS):
            raise exc  # an internal error: the window's callback hook logs it and says where
        self.status.error(f"{exc}{note}")

    def _busy(self, busy: bool) -> None:
        show_busy(self.progress, busy)

    def _tick_age(self) -> None:
        self._age_after = self.after(AGE_MS, self._tick_age)
        if self.got is not None and not self.follow.active:
            self.panel.show([("Age", receiving.age_text(self.got.info.age))])

    def _watch(self) -> None:
        """Every few seconds, look up (in a worker) whether the shown image's sender still runs."""
        self._watch_after = self.after(WATCH_MS, self._watch)
        got = self.got
        if got is None or self._watcher.busy or self.follow.active:
            return
        self._watcher.submit(receiving.sender_state, got.info.key, got.info, 0.5, self.qt_var.get(),
                             done=lambda state: self._show_state(got, state), failed=self._watch_failed)

    def _watch_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, USER_ERRORS):  # a busy lock or the like: try again next time
            raise exc

    def _show_state(self, got: receiving.Got, state: str) -> None:
        if got is self.got and state != self._state:
            self._state = state
            self.panel.show([("Sender", f"pid {got.info.sender_pid}, {state}")])
