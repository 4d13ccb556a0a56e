"""The Receiver tab: receive (or follow) the image under a key, show it and its header, save it or copy
it; the key field lists this user's shares and the keys used recently."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...imaging import open_formats
from ...ipc import DEFAULT_LOCK_TIMEOUT, ChannelKind
from ...key_text import describe_key
from ...settings import HISTORY_FRAMES, HISTORY_MEGABYTES
from ..background.worker import Worker
from ..commands.table import shortcut
from ..imageview import actions
from ..imageview.actions import USER_ERRORS
from ..imageview.view import ImageView
from ..inspector.panel import InspectorPanel
from ..widgets import file_chooser
from ..widgets.confirm_dialog import ConfirmDialog
from ..widgets.flow_row import FlowRow
from ..widgets.info_panel import InfoPanel
from ..widgets.key_field import KeyField
from ..widgets.scroll_column import ScrollColumn
from ..widgets.status_bar import StatusBar, show_busy
from ..widgets.theme import units
from ..widgets.tooltip import add_tooltip
from . import model
from .compare_panel import ComparePanel
from .follow import FollowController, FollowHooks
from .history import HistoryBar, HistoryHooks
from .history_model import FrameHistory
from .key_list import KeyListController, KeyListHooks

WATCH_MS = 2000  # how often the sender's state is looked up again
AGE_MS = 1000
WATCH_LOCK_TIMEOUT = 0.5  # the periodic look-up gives up quickly and tries again next time

TIPS = {
    "receive": f"Read the image shared under the key now ({shortcut('receive')}, or Enter in the key field)",
    "follow": "Show each new image as soon as the sender shares it, and keep going when the sender "
              "stops and another starts under the same key",
    "qt": "Read images that Qt programs put in QSharedMemory under this key (QDataStream << QImage), "
          "instead of imgshare's own format; Qt programs send no new-image signal, so Follow is off",
    "save": f"Write the received image to a file ({shortcut('save_as')}); PNG and TIFF keep its pixels exactly",
    "copy": f"Put the received image on the clipboard as PNG ({shortcut('copy_image')})",
    "one_to_one": "Show the image at its own size, one screen pixel per image pixel, with scroll bars",
    "clean": "Remove the shares whose sender has died (stale); live shares are never touched",
    "shares": "This user's shares; open the key list to pick one",
    "compare": "Load the image you expect and check that the received one has exactly its pixels; "
               "while following, every new frame is checked",
}


class ReceiverTab(ttk.Frame):
    """Thin view over model.py; `ask_save_path` may be replaced (tests return a path)."""

    def __init__(self, master: tk.Misc, status: StatusBar, key: str,
                 recent_keys: Callable[[], list[str]] = list):
        u = units(master)
        super().__init__(master, padding=u.pad * 2)
        self.status = status
        self.ask_save_path: Callable[[tk.Misc, str], str] = self._ask_save_path
        self.start_folder: Callable[[], str] = str  # the folder Save as… opens in (the window sets it)
        self.on_saved: Callable[[str], None] | None = None  # a file was written (the window remembers it)
        self.on_received: Callable[[model.Got], None] | None = None
        self.lock_timeout = DEFAULT_LOCK_TIMEOUT
        self.got: model.Got | None = None
        self.confirm_dialog: ConfirmDialog | None = None  # Clean up's question, the last one asked
        self._state: str | None = None
        self.worker = Worker(self, "receiver", on_busy=self._busy)
        self._watcher = Worker(self, "watch")
        self.key_field = KeyField(self, key, postcommand=lambda: self.key_list.refresh(), recent=recent_keys,
                                  describe=lambda text, kind: model.describe_address(text) or describe_key(text, kind),
                                  tip=model.KEY_TIP)
        self.key_field.grid(row=0, column=0, columnspan=2, sticky="ew")
        bar = FlowRow(self, gap=u.pad * 2, line_gap=u.pad)
        bar.grid(row=1, column=0, columnspan=2, sticky="ew", pady=u.pad * 2)
        self.receive_button = ttk.Button(bar, text="Receive", command=self.receive, style="Accent.TButton")
        self.follow_var = tk.BooleanVar(self, False)
        self.follow_check = ttk.Checkbutton(bar, text="Follow", variable=self.follow_var,
                                            command=self._follow_toggled)
        self.qt_var = tk.BooleanVar(self, False)
        self.qt_check = ttk.Checkbutton(bar, text="Qt compatible", variable=self.qt_var,
                                        command=self._qt_toggled)
        self.save_button = ttk.Button(bar, text="Save as...", command=self.save, state="disabled")
        self.copy_button = ttk.Button(bar, text="Copy", command=self.copy, state="disabled")
        self.one_to_one = tk.BooleanVar(self, False)
        self.one_to_one_check = ttk.Checkbutton(bar, text="1:1", variable=self.one_to_one,
                                                command=lambda: self.view.set_one_to_one(self.one_to_one.get()))
        self.progress = ttk.Progressbar(bar, mode="indeterminate", length=u.chars(12))
        self.shares_label = ttk.Label(bar, text="", style="Muted.TLabel")
        self.clean_button = ttk.Button(bar, text="Clean up", command=lambda: self.key_list.clean())
        for widget, gap in ((self.receive_button, 0), (self.follow_check, 0), (self.qt_check, 0),
                            (self.save_button, u.pad * 2), (self.copy_button, 0), (self.one_to_one_check, 0),
                            (self.shares_label, u.pad * 2), (self.clean_button, 0)):
            bar.add(widget, before=gap)
        bar.add(self.progress, before=u.pad * 2, hidden=True)
        for name, widget in (("receive", self.receive_button), ("follow", self.follow_check),
                             ("qt", self.qt_check), ("save", self.save_button), ("copy", self.copy_button),
                             ("one_to_one", self.one_to_one_check), ("clean", self.clean_button),
                             ("shares", self.shares_label)):
            add_tooltip(widget, TIPS[name])
        self.view = ImageView(self, placeholder=f"Press Receive ({shortcut('receive')}) to show\n"
                                                "the image shared under the key")
        self.view.grid(row=2, column=0, sticky="nsew")
        self.history = FrameHistory(HISTORY_FRAMES, int(HISTORY_MEGABYTES * 1e6))  # the window sets the limits
        self.history_bar = HistoryBar(self, self.history, HistoryHooks(
            show=self.show_kept, say=status.say, error=status.error, worker=self.worker))
        self.history_bar.grid(row=3, column=0, sticky="ew", pady=(u.pad, 0))
        self.side = ScrollColumn(self)  # the header panel and the inspecting tools below it
        self.side.grid(row=2, column=1, rowspan=2, sticky="ns", padx=(u.pad * 2, 0))
        self.panel = InfoPanel(self.side.inner, "What the header says", ["Size", "Mode", "Source", "Sequence",
                                                                         "Sender", "Age", "Frame rate", "Tags",
                                                                         "Key"])
        self.panel.pack(fill="x")
        compare_box = ttk.LabelFrame(self.side.inner, text="Compare with expected", padding=(u.pad * 2, u.pad))
        compare_box.pack(fill="x", pady=(u.pad * 2, 0))
        self.compare = ComparePanel(compare_box, self.view, lambda: self.got.image if self.got else None)
        self.compare.pack(fill="x")
        self.compare.ask_open_path = self._ask_expected_path
        self.compare.on_result = status.say
        add_tooltip(self.compare.compare_button, TIPS["compare"])
        self.inspector = InspectorPanel(self.side.inner, self.view)
        self.inspector.pack(fill="x", pady=(u.pad * 2, 0))
        self.rowconfigure(2, weight=1)
        self.columnconfigure(0, weight=1)
        self._age_after = self.after(AGE_MS, self._tick_age)
        self._watch_after = self.after(WATCH_MS, self._watch)
        self.sender_checks = 0  # ticks of the periodic sender check so far (tests wait on it)
        self.follow = FollowController(FollowHooks(
            widget=self, key=lambda: self.key_field.key, wanted=self.follow_var.get, set_wanted=self.follow_var.set,
            show_frame=lambda got: self.show_followed(got), shown=lambda: self.got, show_rows=self.panel.show,
            on_rendered=self._set_on_rendered, say=status.say, error=status.error, still_says=status.shows,
            keep=self.history.add, lock_timeout=self.lock_timeout))
        self.key_list = KeyListController(KeyListHooks(
            widget=self, picked_index=self.key_field.entry.current, set_key=self.key_field.var.set,
            use_key=self.key_picked, set_lines=self._set_key_lines, set_summary=self._set_summary,
            say=status.say, error=status.error, recent_keys=recent_keys, confirm=self._confirm))
        self.key_field.entry.bind("<<ComboboxSelected>>", lambda _e: self.key_list.picked())
        # the list and its count at once when the tab comes on screen, not at the next refresh
        self.bind("<Map>", lambda e: self.key_list.refresh() if e.widget is self else None, add="+")
        for sequence in ("<Return>", "<KP_Enter>"):
            self.key_field.entry.bind(sequence, lambda _e: self._enter())
        self.key_field.var.trace_add("write", lambda *_: self.follow.key_changed())
        self.panel.show([("Frame rate", "not following")])

    # -- actions -----------------------------------------------------------------------------------
    def receive(self) -> None:
        key = self.key_field.key
        self.status.say(f"Receiving under key {key!r}...")
        self.worker.submit(model.receive, key, self.lock_timeout, self.qt_var.get(), done=self._show,
                           failed=self._receive_failed)

    def set_follow(self, on: bool) -> None:
        """Turn Follow on or off, as the checkbutton does."""
        self.follow_var.set(on)
        self._follow_toggled()

    def key_picked(self) -> None:
        """A key was chosen (from the list, or Enter in the field): follow it if Follow is on, else receive it."""
        if self.follow_var.get():
            self.follow.start()
        else:
            self.receive()

    def save(self) -> None:
        if self.got is None:
            self.status.error(f"Receive an image first ({shortcut('receive')}), then save it")
            return
        image = self.got.image
        path = self.ask_save_path(self, model.suggested_name(self.got.info, image.mode))
        if path:
            actions.save(self.worker, self.status, image, path, on_saved=self.on_saved)

    def copy(self) -> None:
        if self.got is None:
            self.status.error(f"Receive an image first ({shortcut('receive')}), then copy it")
            return
        actions.copy(self.worker, self.status, self.got.image)

    def close(self) -> None:
        for after_id in (self._age_after, self._watch_after):
            self.after_cancel(after_id)
        self.follow.close()
        self.key_list.close()
        self.worker.close()
        self._watcher.close()
        self.view.close()

    def _ask_expected_path(self, parent: tk.Misc) -> str:
        return file_chooser.ask_open(parent, "Compare with file", self.start_folder(), open_formats())

    def _ask_save_path(self, parent: tk.Misc, suggested: str) -> str:
        return actions.ask_save_path(parent, suggested, self.start_folder())

    def _confirm(self, text: str, lines: list[str], action: str, on_answer: Callable[[bool], None]) -> None:
        self.confirm_dialog = ConfirmDialog(self, "Clean up stale shares", text, lines, action, on_answer)

    def _set_key_lines(self, lines: list[str]) -> None:
        self.key_field.entry.configure(values=lines)

    def _set_summary(self, text: str) -> None:
        self.shares_label.configure(text=text)

    def _enter(self) -> str:
        self.key_picked()
        return "break"

    def _set_on_rendered(self, hook: Callable[[], None] | None) -> None:
        """The follow meter's hook, run once per image shown (a compare overlay draws a frame again);
        frames stepped to in the paused history are not followed frames, and are not counted."""
        self.view.on_image_shown = None if hook is None else lambda: None if self.history_bar.paused else hook()

    def _qt_toggled(self) -> None:
        """Qt mode reads what QSharedMemory programs share; they send no new-image signal to follow."""
        qt = self.qt_var.get()
        self.key_field.show_kind(ChannelKind.of(qt))
        if qt and self.follow_var.get():
            self.set_follow(False)
        self.follow_check.configure(state="disabled" if qt else "normal")
        self.status.say("Qt compatible: Receive reads images shared by Qt programs (QSharedMemory) under "
                        "the key; Follow is not available" if qt else "Receiving imgshare shares")

    # -- results, on the Tk thread -----------------------------------------------------------------
    def _show(self, got: model.Got) -> None:
        self.got, self._state = got, None
        self.key_field.refresh()  # in Qt mode the key file exists now
        self.view.show(got.base, source=got.image)
        self.panel.show(model.info_rows(got.info))
        self.save_button.configure(state="normal")
        self.copy_button.configure(state="normal")
        info = got.info
        self.status.say(f"Received {info.width}x{info.height} {info.mode} under key {info.key!r}, "
                        f"sequence {info.sequence}, from pid {info.sender_pid} ({info.state})")
        self.compare.refresh()
        if self.on_received is not None:
            self.on_received(got)

    def show_followed(self, got: model.Got) -> None:
        """A followed frame: shown in place (zoom and scroll kept), its header beside it; while the
        history is paused the image on screen stays (the frame is kept in the history)."""
        if self.history_bar.paused:
            return
        first = self.got is None
        self.got, self._state = got, None
        self.view.show(got.base, keep_place=True, source=got.image)
        self.panel.show([row for row in model.info_rows(got.info) if row[0] != "Age"])  # ticked apart
        self.compare.refresh()
        if first:
            self.save_button.configure(state="normal")
            self.copy_button.configure(state="normal")
            if self.on_received is not None:
                self.on_received(got)

    def show_kept(self, got: model.Got) -> None:
        """A frame from the history: on screen with its header, and what Save, Copy and Compare take."""
        self.got, self._state = got, None
        self.view.show(got.base, keep_place=True, source=got.image)
        self.panel.show(model.info_rows(got.info))
        self.compare.refresh()

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
            self.panel.show([("Age", model.age_text(self.got.info.age))])

    def _watch(self) -> None:
        """Every few seconds, look up (in a worker) whether the shown image's sender still runs."""
        self._watch_after = self.after(WATCH_MS, self._watch)
        self.sender_checks += 1
        got = self.got
        if got is None or self._watcher.busy or self.follow.active:
            return
        self._watcher.submit(model.sender_state, got.info.key, got.info, WATCH_LOCK_TIMEOUT,
                             self.qt_var.get(), done=lambda state: self._show_state(got, state),
                             failed=self._watch_failed)

    def _watch_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, USER_ERRORS):  # a busy lock or the like: try again next time
            raise exc

    def _show_state(self, got: model.Got, state: str) -> None:
        if got is self.got and state != self._state:
            self._state = state
            self.panel.show([("Sender", f"pid {got.info.sender_pid}, {state}")])
