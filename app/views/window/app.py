"""The window: theme, icon, title, menu bar, Sender and Receiver tabs, status bar, shortcuts, the
callback-error hook, and a clean close (sharing stopped, objects removed) on the close button, Ctrl+Q,
SIGTERM and SIGINT."""

from __future__ import annotations

import functools
import signal
import sys
import tkinter as tk
from collections.abc import Callable, Sequence
from pathlib import Path
from tkinter import ttk
from types import FrameType, TracebackType
from typing import Literal

from ... import settings as settings_file
from ...crashlog import write_crash_log
from ...ipc import DEFAULT_KEY
from ...settings import Settings, ThemeChoice
from ..background.worker import Worker
from ..desktop import color_scheme
from ..imageview import actions
from ..imageview.view import ImageView
from ..receiver.model import Got
from ..receiver.tab import ReceiverTab
from ..sender.model import Loaded, Shared
from ..sender.tab import SenderTab
from ..widgets import theme
from ..widgets.status_bar import StatusBar
from . import chrome, help_dialogs
from .menus import MenuBar, image_menu
from .title import window_title

HEARTBEAT_MS = 200  # Python runs signal handlers only when Tk calls back into it: make sure it does
Zoom = Literal["in", "out", "fit", "actual"]


class App:
    """The built window; `app.close()` stops everything. Built by build_app(), run by run_gui()."""

    def __init__(self, root: tk.Tk, key: str, send_file: str | Sequence[str] | None, receive: bool,
                 follow: bool = False):
        self.root = root
        self.closed = False
        self.callback_errors: list[BaseException] = []
        self.settings = settings_file.load()
        root.report_callback_exception = self.report_callback_exception
        self._theme_worker = Worker(root, "theme")
        self._start_theme()
        self._icons = chrome.set_icon(root)
        root.title("imgshare")
        self.ask_save_path: Callable[[tk.Misc, str, str], str] = actions.ask_save_path
        self.status = StatusBar(root)
        self.status.pack(side="bottom", fill="x")
        ttk.Separator(root).pack(side="bottom", fill="x")
        self.notebook = ttk.Notebook(root)
        self.notebook.pack(fill="both", expand=True)
        self._receive_after_share = bool(send_file and receive and not follow)
        recent = self._recent_keys
        self.sender = SenderTab(self.notebook, self.status, key, on_shared=self._shared, recent_keys=recent)
        self.receiver = ReceiverTab(self.notebook, self.status, key, recent_keys=recent)
        self._connect_tabs()
        self.notebook.add(self.sender, text="Sender", underline=0)
        self.notebook.add(self.receiver, text="Receiver", underline=0)
        self.notebook.enable_traversal()  # Ctrl+Tab, Ctrl+Shift+Tab, Alt+S, Alt+R
        self.menu = MenuBar(root, self._menu_actions(), self._menu_checks(),
                            recent_files=lambda: list(self.settings.recent_files), open_recent=self.open_recent,
                            theme=self.settings.theme, set_theme=self.set_theme)
        self.image_menus: dict[str, tk.Menu] = {}  # each tab's right-click menu, by the tab's name
        for tab in (self.sender, self.receiver):
            self._image_menu(tab.view, tab)
            tab.view.on_zoom_changed = functools.partial(self._zoom_changed, tab)
        self._bind_shortcuts()
        self.min_size = chrome.size_window(root)
        root.protocol("WM_DELETE_WINDOW", self.close)
        self._heartbeat = root.after(HEARTBEAT_MS, self._beat)
        if self.sender.drop_problem:
            self.status.say(f"Ready; {self.sender.drop_problem}")
        self.notebook.bind("<<NotebookTabChanged>>", lambda _e: self._focus_tab())
        if receive:
            self.notebook.select(self.receiver)
        self._focus_tab()
        self._update_title()
        if follow:  # follow waits for a share to appear, so it may start before --send's share
            self.receiver.set_follow(True)
        files = [send_file] if isinstance(send_file, str) else list(send_file or ())
        if files:  # the first that opens is shared (several: a desktop's Open With of a selection)
            self.sender.open_paths(files, then_share=True)
        elif receive and not follow:
            self.receiver.receive()

    # -- building ----------------------------------------------------------------------------------
    def _start_theme(self) -> None:
        """The saved choice at once; "follow the desktop" starts light and asks the desktop in a worker."""
        choice = self.settings.theme
        theme.apply(self.root, choice is ThemeChoice.DARK)
        if choice is ThemeChoice.SYSTEM:
            self._theme_worker.submit(color_scheme.prefers_dark, done=self._desktop_answered)

    def _desktop_answered(self, dark: bool) -> None:
        if self.settings.theme is ThemeChoice.SYSTEM and dark != theme.is_dark(self.root):
            theme.apply(self.root, dark)

    def _connect_tabs(self) -> None:
        for tab in (self.sender, self.receiver):
            tab.start_folder = self.settings.start_folder
        self.sender.on_loaded = self._loaded
        self.receiver.on_received = self._received
        self.receiver.on_saved = self._saved

    def _image_menu(self, view: ImageView, tab: SenderTab | ReceiverTab) -> None:
        def pixel() -> str | None:
            text = getattr(view, "pixel_value_text", None)  # the inspector's, when the view has one
            return text() if callable(text) else None

        self.image_menus[str(tab)] = image_menu(view.canvas, copy=lambda: self.copy_image(tab),
                                                save=lambda: self.save_as(tab), copy_pixel=self.copy_text,
                                                pixel_text=pixel)

    def _menu_actions(self) -> dict[str, Callable[[], None]]:
        """What each menu entry does, by the entry's name."""
        sender, receiver, on_tab = self.sender, self.receiver, self.on_tab
        return {
            "open_image": self.open_image, "paste_image": self.paste_image, "save_as": self.save_as,
            "copy_image": self.copy_image, "quit": self.close,
            "zoom_in": lambda: self.zoom("in"), "zoom_out": lambda: self.zoom("out"),
            "zoom_fit": lambda: self.zoom("fit"), "zoom_actual": lambda: self.zoom("actual"),
            "sender_tab": lambda: self.notebook.select(sender), "receiver_tab": lambda: self.notebook.select(receiver),
            "share": lambda: on_tab(sender, sender.share), "stop_sharing": lambda: on_tab(sender, sender.stop),
            "play_pause": lambda: on_tab(sender, sender.toggle_play),
            "watch_file": lambda: self.toggle_box(sender, sender.watch_check),
            "qt_share": lambda: self.toggle_box(sender, sender.qt_check),
            "receive": lambda: on_tab(receiver, receiver.receive),
            "follow": lambda: self.toggle_box(receiver, receiver.follow_check),
            "qt_receive": lambda: self.toggle_box(receiver, receiver.qt_check),
            "save_received": lambda: on_tab(receiver, receiver.save),
            "copy_received": lambda: on_tab(receiver, receiver.copy),
            "compare": lambda: on_tab(receiver, receiver.compare.choose),
            "clean_up": lambda: on_tab(receiver, receiver.key_list.clean),
            "shortcuts": self.show_shortcuts, "documentation": self.show_docs, "about": self.show_about,
        }

    def _menu_checks(self) -> dict[str, tk.BooleanVar]:
        """The check entries' variables: the tabs' own boxes', so both always show the same."""
        return {"watch_file": self.sender.watch_var, "qt_share": self.sender.qt_var,
                "follow": self.receiver.follow_var, "qt_receive": self.receiver.qt_var}

    def _bind_shortcuts(self) -> None:
        keys: dict[str, Callable[[], None]] = {
            "o": self.open_image, "v": self._paste, "r": lambda: self.on_tab(self.receiver, self.receiver.receive),
            "s": self.save_as, "q": self.close}
        for letter, action in keys.items():
            for sequence in (f"<Control-{letter}>", f"<Control-{letter.upper()}>"):
                self.root.bind(sequence, self._binding(action))
        self.root.bind("<Control-Shift-C>", lambda _e: self._run(self.copy_image))
        for sequence in ("<Control-Return>", "<Control-KP_Enter>"):
            self.root.bind(sequence, lambda _e: self._run(lambda: self.on_tab(self.sender, self.sender.share)))
        zooms: dict[Zoom, tuple[str, ...]] = {
            "in": ("<Control-plus>", "<Control-equal>", "<Control-KP_Add>"),
            "out": ("<Control-minus>", "<Control-KP_Subtract>"),
            "fit": ("<Control-Key-0>", "<Control-KP_0>"), "actual": ("<Control-Key-1>", "<Control-KP_1>")}
        for kind, sequences in zooms.items():
            for sequence in sequences:
                self.root.bind(sequence, self._binding(functools.partial(self.zoom, kind)))
        self.root.bind("<F1>", lambda _e: self._run(self.show_shortcuts))
        # Ttk's own Ctrl+Tab does nothing while the focus is on the bare toplevel: cycle here instead.
        self.root.bind("<Control-Tab>", lambda _e: self._cycle(1))
        for sequence in ("<Control-Shift-Tab>", "<Control-ISO_Left_Tab>"):
            self.root.bind(sequence, lambda _e: self._cycle(-1))

    # -- what the menus and shortcuts do -----------------------------------------------------------
    def shown_tab(self) -> SenderTab | ReceiverTab:
        return self.receiver if self.notebook.select() == str(self.receiver) else self.sender

    def on_tab(self, tab: SenderTab | ReceiverTab, action: Callable[[], None]) -> None:
        """Show tab, then do action (menu entries and shortcuts of one tab)."""
        self.notebook.select(tab)
        action()

    def open_image(self) -> None:
        self.on_tab(self.sender, self.sender.open)

    def paste_image(self) -> None:
        self.on_tab(self.sender, self.sender.paste)

    def open_recent(self, path: str) -> None:
        self.on_tab(self.sender, lambda: self.sender.open_paths([path]))

    def save_as(self, tab: SenderTab | ReceiverTab | None = None) -> None:
        """Save the image the given (else the shown) tab shows."""
        tab = tab or self.shown_tab()
        if tab is self.receiver:
            self.on_tab(self.receiver, self.receiver.save)
            return
        loaded = self.sender.loaded
        if loaded is None:
            self.status.error("Open an image first (Ctrl+O), then save it")
            return
        suggested = Path(loaded.source_name or "image").stem + ".png"
        path = self.ask_save_path(self.sender, suggested, self.settings.start_folder())
        if path:
            actions.save(self.sender.worker, self.status, loaded.image, path, on_saved=self._saved)

    def copy_image(self, tab: SenderTab | ReceiverTab | None = None) -> None:
        tab = tab or self.shown_tab()
        if tab is self.receiver:
            self.receiver.copy()
        elif self.sender.loaded is None:
            self.status.error("Open an image first (Ctrl+O), then copy it")
        else:
            actions.copy(self.sender.worker, self.status, self.sender.loaded.image)

    def copy_text(self, text: str | None) -> None:
        if not text:
            self.status.error("Point at a pixel of the image first, then copy its value")
            return
        self.root.clipboard_clear()
        self.root.clipboard_append(text)
        self.status.say(f"Copied the pixel value {text!r} to the clipboard")

    def _zoom_changed(self, tab: SenderTab | ReceiverTab, text: str) -> None:
        if tab is self.receiver:
            self.receiver.one_to_one.set(not tab.view.fitted)  # the 1:1 box says whether it is zoomed
        if tab is self.shown_tab():
            self.status.show_zoom(text)

    def zoom(self, kind: Zoom) -> None:
        view = self.shown_tab().view
        {"in": view.zoom_in, "out": view.zoom_out, "fit": view.zoom_fit, "actual": view.zoom_actual}[kind]()

    def toggle_box(self, tab: SenderTab | ReceiverTab, box: ttk.Checkbutton) -> None:
        """A menu check entry was toggled (its variable is the box's): run the box's own command."""
        self.notebook.select(tab)
        if box.instate(["disabled"]):
            variable = str(box.cget("variable"))
            self.root.setvar(variable, str(int(not self.root.getboolean(self.root.getvar(variable)))))  # back
            self.status.error(f"{box.cget('text')} is not available now")
            return
        command = str(box.cget("command"))
        if command:
            self.root.tk.call(command)

    def set_theme(self, choice: ThemeChoice) -> None:
        self._remember(lambda s: setattr(s, "theme", choice))
        self.menu.theme_var.set(choice.value)
        if choice is ThemeChoice.SYSTEM:
            self._theme_worker.submit(color_scheme.prefers_dark, done=self._desktop_answered)
        else:
            theme.apply(self.root, choice is ThemeChoice.DARK)

    def show_shortcuts(self) -> None:
        help_dialogs.shortcuts(self.root)

    def show_docs(self) -> None:
        help_dialogs.documentation(self.root)

    def show_about(self) -> None:
        help_dialogs.about(self.root)

    # -- remembering -------------------------------------------------------------------------------
    def _recent_keys(self) -> list[str]:
        return list(self.settings.recent_keys)

    def _remember(self, change: Callable[[Settings], None]) -> None:
        """Apply change to the settings as saved now (another window may have saved since), save them."""
        fresh = settings_file.update(change)
        self.settings.__dict__.update(fresh.__dict__)  # the tabs hold bound methods of this object

    def _loaded(self, loaded: Loaded) -> None:
        if loaded.path:
            self._remember(lambda s: s.remember_file(str(loaded.path)))

    def _received(self, got: Got) -> None:
        self._remember(lambda s: s.remember_key(got.info.key))

    def _saved(self, path: str) -> None:
        self._remember(lambda s: setattr(s, "last_folder", str(Path(path).resolve().parent)))

    # -- running -----------------------------------------------------------------------------------
    def _run(self, action: Callable[[], None]) -> str:
        action()
        return "break"

    def _binding(self, action: Callable[[], None]) -> Callable[[tk.Event], str]:
        """An event handler that runs action and stops the event there."""
        return lambda _event: self._run(action)

    def _cycle(self, step: int) -> str:
        tabs = self.notebook.tabs()
        self.notebook.select(tabs[(tabs.index(self.notebook.select()) + step) % len(tabs)])
        return "break"

    def _focus_tab(self) -> None:
        """Keyboard focus on the shown tab's first button, so its shortcuts and Tab order work at once."""
        shown = self.shown_tab()
        (shown.receive_button if isinstance(shown, ReceiverTab) else shown.open_button).focus_set()
        self.status.show_zoom(shown.view.zoom_text if shown.view.image is not None else "")
        self._update_title()

    def _paste(self) -> None:
        """Ctrl+V in a text entry pastes text there; anywhere else it pastes an image to share."""
        if isinstance(self.root.focus_get(), (tk.Entry, ttk.Entry)):
            return
        self.paste_image()

    def _shared(self, shared: Shared | None) -> None:
        if shared is not None:
            self._remember(lambda s: s.remember_key(shared.key))
        if self._receive_after_share:  # --send and --receive: this window receives its own share
            self._receive_after_share = False
            self.notebook.select(self.receiver)
            self.receiver.receive()

    def _update_title(self) -> None:
        title = window_title(self.shown_tab() is self.receiver, self.sender.key_field.key,
                             self.receiver.key_field.key, self.sender.shared, self.receiver.follow.active,
                             self.receiver.got.info if self.receiver.got else None)
        if self.root.title() != title:
            self.root.title(title)

    def _beat(self) -> None:
        self._heartbeat = self.root.after(HEARTBEAT_MS, self._beat)
        self._update_title()

    def report_callback_exception(self, exc_type: type[BaseException], exc: BaseException,
                                  tb: TracebackType | None) -> None:
        """An error inside a Tk callback: log its traceback, say where in the status bar, keep going."""
        self.callback_errors.append(exc)
        try:
            path = write_crash_log(exc, "in a Tk callback")
            self.status.error(f"Internal error ({exc_type.__name__}: {exc}); details in {path}")
        except Exception:  # never let the hook itself fail
            import traceback
            traceback.print_exception(exc_type, exc, tb, file=sys.stderr)

    def close(self) -> None:
        """Stop sharing (segment and semaphore removed), stop every worker, destroy the window."""
        if self.closed:
            return
        self.closed = True
        self.root.after_cancel(self._heartbeat)
        try:
            self.root.withdraw()
            self._theme_worker.close()
            self.receiver.close()
        finally:
            self.sender.close()
            self.root.destroy()


def build_app(root: tk.Tk, key: str = DEFAULT_KEY, send_file: str | Sequence[str] | None = None,
              receive: bool = False, follow: bool = False) -> App:
    """Build the window on root (nothing runs until root's event loop does); follow turns the Receiver
    tab's Follow on (with receive it opens on that tab)."""
    return App(root, key, send_file, receive, follow)


def install_signal_handlers(app: App) -> None:
    """SIGTERM and SIGINT close the window cleanly, from the Tk loop rather than inside the handler."""
    def handler(signum: int, _frame: FrameType | None) -> None:
        if not app.closed:
            app.root.after(0, app.close)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def run_gui(key: str = DEFAULT_KEY, send_file: str | Sequence[str] | None = None, receive: bool = False,
            follow: bool = False) -> int:
    """Open the window and run it until closed; returns the exit code."""
    try:
        root = tk.Tk(className="imgshare")
    except tk.TclError as exc:
        print(f"imgshare: error: cannot open the window ({exc}); run it in a desktop session, "
              "or use the command-line verbs (imgshare --help)", file=sys.stderr)
        return 1
    try:
        app = build_app(root, key=key, send_file=send_file, receive=receive, follow=follow)
    except KeyboardInterrupt:  # Ctrl+C while the window was being built: stop quietly, as Ctrl+C later does
        root.destroy()
        return 130
    install_signal_handlers(app)
    try:
        root.mainloop()
    finally:
        app.close()
    return 0
