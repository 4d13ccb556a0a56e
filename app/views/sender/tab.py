"""The Sender tab: pick an image (dialog, drop, paste), preview it, share it under a key, stop; an
animation plays (with Play/Pause), and a watched file is shared again each time it changes."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk

from ...imaging import open_formats
from ...ipc import ChannelKind, ImgShareError
from ..background.inbox import Inbox
from ..background.worker import Worker
from ..commands.table import shortcut
from ..desktop.clipboard import ClipboardError
from ..desktop.file_drop import enable_file_drop
from ..imageview.view import ImageView
from ..inspector.panel import InspectorPanel
from ..widgets.flow_row import FlowRow
from ..widgets.info_panel import InfoPanel
from ..widgets.key_field import KeyField
from ..widgets.scroll_column import ScrollColumn
from ..widgets.status_bar import StatusBar, show_busy
from ..widgets.theme import units
from ..widgets.tooltip import add_tooltip
from . import model

USER_ERRORS = (ImgShareError, ClipboardError)


TIPS = {
    "share_button": f"Put the image in shared memory under the key, for any receiver to read ({shortcut('share')})",
    "stop_button": "Stop sharing: the shared memory under the key is removed",
    "play_button": "Pause or play an animated image; each frame is shared as it is shown",
    "watch_check": "Share the file again each time it is saved (another program edits it)",
    "qt_check": "Share in the format Qt programs read with QSharedMemory (QDataStream << QImage) "
                "under Qt's key for this name, instead of imgshare's own format",
    "paste_button": f"Take the image (or image file) on the clipboard ({shortcut('paste_image')})",
}


def ask_open_path(parent: SenderTab) -> str:
    return filedialog.askopenfilename(parent=parent, title="Open image", filetypes=open_formats(),
                                      initialdir=parent.start_folder() or None)


class SenderTab(ttk.Frame):
    """Thin view over model.py; `ask_open_path` may be replaced (tests return a path)."""

    def __init__(self, master: tk.Misc, status: StatusBar, key: str,
                 on_shared: Callable[[model.Shared | None], None] | None = None,
                 recent_keys: Callable[[], list[str]] = list):
        super().__init__(master, padding=units(master).pad * 2)
        self.status = status
        self.on_shared = on_shared
        self.ask_open_path: Callable[[SenderTab], str] = ask_open_path
        self.session = model.SenderSession()
        self.loaded: model.Loaded | None = None
        self.shared: model.Shared | None = None
        self._frame_shown: tuple[int, int] | None = None  # the animation frame (index, sequence) shown last
        self.start_folder: Callable[[], str] = str  # where Open image… starts (the window sets it)
        self.on_loaded: Callable[[model.Loaded], None] | None = None  # an image was opened
        self.worker = Worker(self, "sender", on_busy=self._busy)
        self.key_field = KeyField(self, key, recent=recent_keys)
        self.key_field.grid(row=0, column=0, columnspan=2, sticky="ew")
        buttons = FlowRow(self, gap=units(master).pad * 2, line_gap=units(master).pad)
        buttons.grid(row=1, column=0, columnspan=2, sticky="ew", pady=units(master).pad * 2)
        self.open_button = ttk.Button(buttons, text="Open image...", command=self.open)
        self.paste_button = ttk.Button(buttons, text="Paste", command=self.paste)
        self.share_button = ttk.Button(buttons, text="Share", command=self.share, state="disabled")
        self.stop_button = ttk.Button(buttons, text="Stop sharing", command=self.stop, state="disabled")
        self.play_button = ttk.Button(buttons, text="Pause", command=self.toggle_play, state="disabled")
        self.watch_var = tk.BooleanVar(self, False)
        self.watch_check = ttk.Checkbutton(buttons, text="Watch file", variable=self.watch_var,
                                           command=self._watch_toggled)
        self.qt_var = tk.BooleanVar(self, False)  # Qt mode: an unmodified QSharedMemory program reads it
        self.qt_check = ttk.Checkbutton(buttons, text="Qt compatible", variable=self.qt_var,
                                        command=self._qt_toggled)
        for button in (self.open_button, self.paste_button, self.share_button, self.stop_button,
                       self.play_button, self.watch_check, self.qt_check):
            button.pack(side="left", padx=(0, 6))
        self.inbox = Inbox(self, poll_ms=40)  # the player's and the watcher's news
        self.session.connect(**self._session_callbacks())
        self.progress = ttk.Progressbar(buttons, mode="indeterminate", length=160)
        self.view = ImageView(self, placeholder=f"Open an image ({shortcut('open_image')}), drop an image file here,\n"
                                                f"or paste one ({shortcut('paste_image')})")
        self.view.grid(row=2, column=0, sticky="nsew")
        column = ScrollColumn(self)
        column.grid(row=2, column=1, sticky="ns", padx=(units(master).pad * 2, 0))
        side = column.inner
        self.image_panel = InfoPanel(side, "Image", ["Source", "Size", "Mode", "File size"])
        self.image_panel.pack(fill="x")
        self.share_panel = InfoPanel(side, "Shared now", ["Key", "Sequence", "Frame", "Image", "Since"])
        self.share_panel.pack(fill="x", pady=(8, 0))
        self.share_panel.show(model.shared_rows(None))
        self.rowconfigure(2, weight=1)
        self.columnconfigure(0, weight=1)
        self.drop_problem = enable_file_drop(self.view.canvas, self.open_paths)
        self._dress(buttons, side)

    # -- actions (each starts one job; the job's result is rendered by a _show_* method) ----------
    def open(self) -> None:
        path = self.ask_open_path(self)
        if path:
            self.open_paths([path])

    def open_paths(self, paths: list[str], then_share: bool = False) -> None:
        self.status.say(f"Opening {paths[0] if len(paths) == 1 else f'{len(paths)} files'}...")
        self.worker.submit(model.load_first, list(paths), done=lambda loaded: self._show_loaded(loaded, then_share),
                           failed=self._failed)

    def paste(self) -> None:
        self.status.say("Reading the clipboard...")
        self.worker.submit(model.load_clipboard, done=self._show_loaded, failed=self._failed)

    def share(self) -> None:
        if self.loaded is None:
            self.status.error(f"Open an image first ({shortcut('open_image')}), then share it")
            return
        key = self.key_field.key
        self.status.say(f"Sharing {self.loaded.source_name} under key {key!r}...")
        self.worker.submit(self.session.share_loaded, key, self.loaded, self.qt_var.get(),
                           self.watch_var.get(), done=self._show_shared, failed=self._share_failed)

    def stop(self) -> None:
        self.inbox.discard("frame")
        self.worker.submit(self.session.stop, done=self._show_stopped, failed=self._failed)

    def toggle_play(self) -> None:
        """Pause a playing animation, or play it on from where it was."""
        playing = self.session.playing
        if self.session.pause(playing):
            self.play_button.configure(text="Play" if playing else "Pause")
            self.status.say(f"{'Paused' if playing else 'Playing'} {self.shared.source_name}"
                            if self.shared else "")
            if self._frame_shown is not None:  # the panel says paused at once, not at the next frame
                self._show_frame(*self._frame_shown)

    def _dress(self, buttons: FlowRow, side: ttk.Frame) -> None:
        """Lay the packed controls out in a row that wraps when narrow, give them tooltips, and put the
        pixel inspector under the panels."""
        self.inspector = InspectorPanel(side, self.view)
        self.inspector.pack(fill="x", pady=(units(self).pad * 2, 0))
        for widget in buttons.pack_slaves():
            widget.pack_forget()
            buttons.add(widget)
        buttons.add(self.progress, hidden=True)
        self.share_button.configure(style="Accent.TButton")
        for name, tip in TIPS.items():
            add_tooltip(getattr(self, name), tip)

    def close(self) -> None:
        """Stop sharing for good: player and watcher stopped, then the segment and semaphore removed
        before this returns."""
        self.inbox.close()
        self.worker.close()
        self.view.close()
        self.session.close()

    def _session_callbacks(self) -> dict[str, Callable[..., None]]:
        inbox = self.inbox
        return {"on_frame": lambda index, sequence: inbox.post("frame", self._show_frame, index, sequence,
                                                               latest=True),
                "on_player_error": lambda exc: inbox.post("player", self._player_failed, exc),
                "on_new_version": lambda shared, new: inbox.post("watch", self._show_new_version, shared, new),
                "on_skipped": lambda exc: inbox.post("watch", self._show_skipped, exc)}

    def _watch_toggled(self) -> None:
        """The box shows what the session does: ticking watches the shared file (if it is one)."""
        if not self.watch_var.get():
            self.worker.submit(self.session.unwatch,
                               done=lambda _: self.status.say("Stopped watching the file"))
        elif self.shared is not None:
            self.worker.submit(self.session.watch, done=self._show_watching, failed=self._failed)
        else:
            self.status.say("The file will be watched once it is shared")

    def _qt_toggled(self) -> None:
        """While sharing, share the same image again in the chosen format (the new share first)."""
        self.key_field.show_kind(ChannelKind.of(self.qt_var.get()))
        if self.shared is None:
            self.status.say(f"The next Share uses {'Qt' if self.qt_var.get() else 'imgshare'}'s format")
            return
        self.qt_check.configure(state="disabled")
        qt = self.qt_var.get()
        self.status.say(f"Sharing again in {'Qt' if qt else 'imgshare'}'s format...")
        self.worker.submit(self.session.switch_kind, ChannelKind.of(qt), done=self._show_switched,
                           failed=self._switch_failed)

    # -- results, on the Tk thread -----------------------------------------------------------------
    def _show_loaded(self, loaded: model.Loaded, then_share: bool = False) -> None:
        self.loaded = loaded
        self.view.show(loaded.base, source=loaded.image)
        if self.on_loaded is not None:
            self.on_loaded(loaded)
        self.image_panel.show(model.loaded_rows(loaded))
        self.share_button.configure(state="normal")
        self.status.say(f"Opened {loaded.source_name} ({loaded.image.width}x{loaded.image.height} "
                        f"{loaded.image.mode}); press Share ({shortcut('share')}) to share it")
        if then_share:
            self.share()

    def _show_shared(self, shared: model.Shared) -> None:
        self.shared = shared
        self._frame_shown = None
        self.key_field.refresh()  # in Qt mode the key file exists now
        self.share_panel.show(model.shared_rows(shared))
        self.stop_button.configure(state="normal")
        self.play_button.configure(state="normal" if shared.frames > 1 else "disabled", text="Pause")
        asked = self.watch_var.get()
        self.watch_var.set(shared.watch is model.Watch.ON)
        self.status.say(f"Shared {shared.source_name} ({shared.size[0]}x{shared.size[1]} {shared.mode}) "
                        f"under key {shared.key!r}, sequence {shared.sequence}{_watch_note(shared, asked)}")
        if self.on_shared:
            self.on_shared(shared)
        if self.qt_var.get() != (shared.kind is ChannelKind.QT):
            self._qt_toggled()  # the box was toggled while this share was on its way: follow it

    def _show_stopped(self, key: str | None) -> None:
        self.shared = None
        self._frame_shown = None
        self.key_field.refresh()
        self.share_panel.show(model.shared_rows(None))
        self.stop_button.configure(state="disabled")
        self.play_button.configure(state="disabled", text="Pause")
        self.status.say(f"Stopped sharing under key {key!r}; its shared memory is removed" if key
                        else "Nothing was being shared")

    def _show_frame(self, index: int, sequence: int) -> None:
        if self.shared is None or self.shared.frames <= 1:
            return  # a frame from a player that has since been stopped
        self._frame_shown = (index, sequence)
        state = " (paused)" if not self.session.playing else ""
        self.share_panel.show([("Frame", f"{index + 1} of {self.shared.frames}{state}"),
                               ("Sequence", str(sequence))])

    def _player_failed(self, exc: BaseException) -> None:
        self.play_button.configure(state="disabled")
        self._failed(exc)

    def _show_new_version(self, shared: model.Shared, loaded: model.Loaded) -> None:
        if self.shared is None:
            return  # stopped meanwhile
        self.loaded, self.shared = loaded, shared
        self.view.show(loaded.base, keep_place=True, source=loaded.image)
        self.image_panel.show(model.loaded_rows(loaded))
        self.share_panel.show(model.shared_rows(shared))
        self.play_button.configure(state="normal" if shared.frames > 1 else "disabled", text="Pause")
        self.status.say(f"Shared a new version of {shared.source_name} ({shared.size[0]}x{shared.size[1]} "
                        f"{shared.mode}), sequence {shared.sequence}")

    def _show_skipped(self, exc: BaseException) -> None:
        if self.shared is None:
            return  # stopped meanwhile
        self.status.error(f"Skipped a half-written or broken version of {self.shared.source_name} ({exc}); "
                          f"still sharing the previous version (sequence {self.shared.sequence})")

    def _show_watching(self, path: str | None) -> None:
        self.watch_var.set(path is not None)
        if path is None:
            self.status.error("Only an opened file can be watched; open one with Open image... "
                              f"({shortcut('open_image')})")
        else:
            self.status.say(f"Watching {path} for changes")

    def _show_switched(self, shared: model.Shared | None) -> None:
        self.qt_check.configure(state="normal")
        if shared is None:  # stopped meanwhile: the box applies to the next Share
            return
        self.shared = shared
        self.share_panel.show(model.shared_rows(shared))
        self.status.say(f"Now sharing {shared.source_name} under key {shared.key!r} in "
                        f"{'Qt' if shared.kind is ChannelKind.QT else 'imgshare'}'s format")

    def _switch_failed(self, exc: BaseException) -> None:
        self.qt_check.configure(state="normal")
        self.qt_var.set(self.shared is not None and self.shared.kind is ChannelKind.QT)
        self._failed(exc)

    def _share_failed(self, exc: BaseException) -> None:
        self._failed(exc)
        if self.on_shared:
            self.on_shared(None)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, USER_ERRORS):
            raise exc  # an internal error: the window's callback hook logs it and says where
        kept = f"; still sharing under key {self.shared.key!r}" if self.shared else ""
        self.status.error(f"{exc}{kept}")

    def _busy(self, busy: bool) -> None:
        show_busy(self.progress, busy)


def _watch_note(shared: model.Shared, asked: bool) -> str:
    """What became of watching when something was shared, for the status bar."""
    if shared.watch is model.Watch.ON:
        return f"; watching {shared.watching} for changes"
    if shared.watch is model.Watch.ENDED:
        return (f"; stopped watching {shared.stopped_watching} (only the shared file is watched, "
                "and this image came from no file)" if asked else
                f"; stopped watching {shared.stopped_watching}")
    return "; not watched: only an opened file can be watched" if asked else ""
