"""The Receiver's history bar: Pause holds the image on screen while following goes on recording, the
arrows step back and forth through the frames kept (history_model.py), Live shows the newest again, and
Save history… writes the frames kept to a folder (in the tab's worker: never on the Tk thread)."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import ttk

from ..background.worker import Worker
from ..widgets import file_chooser
from ..widgets.flow_row import FlowRow
from ..widgets.theme import units
from ..widgets.tooltip import add_tooltip
from .history_model import FrameHistory, Kept, save_history
from .model import Got

REFRESH_MS = 500  # the count of frames kept, while following
TIPS = {
    "pause": "Hold the image on screen; following goes on and keeps every new frame in the history",
    "back": "The frame before, from the history of followed frames",
    "forward": "The frame after",
    "save": "Write every frame kept to a folder, as receive --follow -o does (send FOLDER/ replays it)",
}


@dataclass(frozen=True)
class HistoryHooks:
    """What the bar needs from the tab."""

    show: Callable[[Got], None]  # put a kept frame on screen (header, inspector, compare follow it)
    say: Callable[[str], None]
    error: Callable[[str], None]
    worker: Worker  # where the folder is written


def ask_folder(parent: tk.Misc) -> str:
    return file_chooser.ask_folder(parent, "Save the history into a folder")


class HistoryBar(ttk.Frame):
    """`bar.paused`, `bar.shown` (the kept frame on screen while paused); `ask_folder` may be replaced."""

    def __init__(self, master: tk.Misc, history: FrameHistory, hooks: HistoryHooks):
        super().__init__(master)
        u = units(master)
        self.history, self.hooks = history, hooks
        self.ask_folder: Callable[[tk.Misc], str] = ask_folder
        self.paused = False
        self.shown: Kept | None = None
        row = FlowRow(self, gap=u.pad, line_gap=u.pad)  # wraps when the window is narrow
        row.pack(fill="x")
        steps = ttk.Frame(row)  # Pause, back and forward wrap together, never one without the others
        self.pause_button = ttk.Button(steps, text="Pause", command=self.toggle_pause)
        self.back_button = ttk.Button(steps, text="◀", width=3, command=lambda: self.step(-1))
        self.forward_button = ttk.Button(steps, text="▶", width=3, command=lambda: self.step(1))
        for widget in (self.pause_button, self.back_button, self.forward_button):
            widget.pack(side="left", padx=(0, u.pad // 2))
        self.save_button = ttk.Button(row, text="Save history...", command=self.save)
        row.add(ttk.Label(row, text="History:"))
        row.add(steps)
        row.add(self.save_button, before=u.pad)
        # where the history stands, on a line of its own that wraps: the row may be a narrow column
        self.where = ttk.Label(self, text="", style="Muted.TLabel")
        self.where.pack(fill="x", pady=(u.pad // 2, 0))
        self.where.bind("<Configure>", lambda e: self.where.configure(wraplength=max(1, e.width)))
        for name, widget in (("pause", self.pause_button), ("back", self.back_button),
                             ("forward", self.forward_button), ("save", self.save_button)):
            add_tooltip(widget, TIPS[name])
        self._after = self.after(REFRESH_MS, self._refresh)
        self.bind("<Destroy>", lambda e: self.after_cancel(self._after) if e.widget is self else None)
        self._describe()

    def toggle_pause(self) -> None:
        """Pause on the newest frame kept, or go live again (the newest frame shown)."""
        if self.paused:
            self.paused, self.shown = False, None
            frames = self.history.frames()
            if frames:
                self.hooks.show(frames[-1].got)
            self.hooks.say("Live: each new frame is shown again")
        else:
            frames = self.history.frames()
            self.paused, self.shown = True, frames[-1] if frames else None
            self.hooks.say("Paused: the image stays; following goes on and keeps the new frames in the history")
        self._describe()

    def step(self, delta: int) -> None:
        """The kept frame delta places from the one shown (pausing first)."""
        frames = self.history.frames()
        if not frames:
            self.hooks.error("The history is empty: follow a key, and its frames are kept here")
            return
        if not self.paused:
            self.paused, self.shown = True, frames[-1]
        at = next((i for i, kept in enumerate(frames) if kept is self.shown), len(frames) - 1)
        self.shown = frames[min(len(frames) - 1, max(0, at + delta))]
        self.hooks.show(self.shown.got)
        self._describe()

    def save(self) -> None:
        frames = self.history.frames()
        if not frames:
            self.hooks.error("The history is empty: follow a key, and its frames are kept here")
            return
        folder = self.ask_folder(self)
        if not folder:
            return
        self.hooks.say(f"Saving {len(frames)} frames in {folder}...")
        self.hooks.worker.submit(save_history, frames, folder, done=self.hooks.say,
                                 failed=lambda exc: self.hooks.error(str(exc)))

    def _refresh(self) -> None:
        self._after = self.after(REFRESH_MS, self._refresh)
        self._describe()

    def _describe(self) -> None:
        frames = self.history.frames()
        self.pause_button.configure(text="Live" if self.paused else "Pause")
        if self.paused and self.shown is not None and frames:
            at = next((i for i, kept in enumerate(frames) if kept is self.shown), None)
            place = f"frame {at + 1} of {len(frames)}" if at is not None else "a frame no longer kept"
            text = f"{place}, sequence {self.shown.got.info.sequence} (paused)"
        else:
            megabytes = self.history.bytes_held / 1e6
            text = f"{len(frames)} frame{'s' if len(frames) != 1 else ''} kept ({megabytes:.1f} MB)"
        if str(self.where.cget("text")) != text:
            self.where.configure(text=text)
