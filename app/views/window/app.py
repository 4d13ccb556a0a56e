"""The window: theme, icon, title, menu bar, Sender and Receiver tabs, status bar, shortcuts, the
callback-error hook, and a clean close (sharing stopped, objects removed) on the close button, Quit,
SIGTERM, SIGINT and SIGHUP."""

from __future__ import annotations

import functools
import sys
import tkinter as tk
from collections.abc import Callable, Sequence
from pathlib import Path
from tkinter import ttk
from types import TracebackType

from ... import lifecycle
from ... import settings as settings_file
from ...crashlog import write_crash_log
from ...ipc import DEFAULT_KEY
from ...settings import Settings, ThemeChoice
from ..background.worker import Worker
from ..commands.keys import bind_scope
from ..commands.table import BY_NAME, Scope, Tab, shortcut, showing_first
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
        self.notebook.enable_traversal()  # the command table binds Ctrl+Tab and Alt+S/R on the toplevel too
        self.command_actions = self._command_actions()
        self.menu = MenuBar(root, self.command_actions, self.show_tab, self._checks(),
                            recent_files=lambda: list(self.settings.recent_files), open_recent=self.open_recent,
                            theme=self.settings.theme, set_theme=self.set_theme)
        self.image_menus: dict[str, tk.Menu] = {}  # each tab's right-click menu, by the tab's name
        for tab in (self.sender, self.receiver):
            self._image_menu(tab.view, tab)
            tab.view.on_zoom_changed = functools.partial(self._zoom_changed, tab)
        bind_scope(root, Scope.WINDOW, self.command_actions)
        self.min_size = chrome.size_window(root)
        root.protocol("WM_DELETE_WINDOW", self.close)
        self._heartbeat = root.after(HEARTBEAT_MS, self._beat)
        if self.sender.drop_problem:
            self.status.say(f"Ready; {self.sender.drop_problem}")
        self.notebook.bind("<<NotebookTabChanged>>", lambda _e: self._focus_tab())
        if receive:
            self.show_tab(Tab.RECEIVER)
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
        actions = {"copy_image": lambda: self.copy_image(tab), "save_as": lambda: self.save_as(tab),
                   "copy_pixel_value": lambda: self.copy_text(view.pixel_value_text())}
        self.image_menus[str(tab)] = image_menu(view.canvas, actions, pixel_text=view.pixel_value_text)

    def _command_actions(self) -> dict[str, Callable[[], None]]:
        """What each command of the table does, by name; a command's tab is shown first (show_tab)."""
        sender, receiver = self.sender, self.receiver
        by_name: dict[str, Callable[[], None]] = {
            "open_image": sender.open, "paste_image": sender.paste, "save_as": self.save_as,
            "copy_image": self.copy_image, "quit": self.close,
            "zoom_in": lambda: self.shown_tab().view.zoom_in(), "zoom_out": lambda: self.shown_tab().view.zoom_out(),
            "zoom_fit": lambda: self.shown_tab().view.zoom_fit(),
            "zoom_actual": lambda: self.shown_tab().view.zoom_actual(),
            "sender_tab": _tab_only, "receiver_tab": _tab_only,
            "next_tab": lambda: self._cycle(1), "previous_tab": lambda: self._cycle(-1),
            "share": sender.share, "stop_sharing": sender.stop, "play_pause": sender.toggle_play,
            "watch_file": lambda: self.toggle_box(sender.watch_check),
            "qt_share": lambda: self.toggle_box(sender.qt_check),
            "receive": receiver.receive, "follow": lambda: self.toggle_box(receiver.follow_check),
            "qt_receive": lambda: self.toggle_box(receiver.qt_check), "compare": receiver.compare.choose,
            "clean_up": receiver.key_list.clean,
            "shortcuts": self.show_shortcuts, "documentation": self.show_docs, "about": self.show_about,
        }
        return {name: showing_first(BY_NAME[name].tab, self.show_tab, action) for name, action in by_name.items()}

    def _checks(self) -> dict[str, tk.BooleanVar]:
        """The check entries' variables: the tabs' own boxes', so both always show the same."""
        return {"watch_file": self.sender.watch_var, "qt_share": self.sender.qt_var,
                "follow": self.receiver.follow_var, "qt_receive": self.receiver.qt_var}

    # -- what the menus and shortcuts do -----------------------------------------------------------
    def shown_tab(self) -> SenderTab | ReceiverTab:
        return self.receiver if _shown_tab(self.notebook) == str(self.receiver) else self.sender

    def show_tab(self, tab: Tab) -> None:
        self.notebook.select(self.sender if tab is Tab.SENDER else self.receiver)  # type: ignore[no-untyped-call]

    def open_recent(self, path: str) -> None:
        self.show_tab(Tab.SENDER)
        self.sender.open_paths([path])

    def save_as(self, tab: SenderTab | ReceiverTab | None = None) -> None:
        """Save the image the given (else the shown) tab shows."""
        tab = tab or self.shown_tab()
        if tab is self.receiver:
            self.show_tab(Tab.RECEIVER)
            self.receiver.save()
            return
        loaded = self.sender.loaded
        if loaded is None:
            self.status.error(f"Open an image first ({shortcut('open_image')}), then save it")
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
            self.status.error(f"Open an image first ({shortcut('open_image')}), then copy it")
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
            # the 1:1 box is ticked at 100% only (not at 1200%)
            self.receiver.one_to_one.set(not tab.view.fitted and tab.view.scale == 1.0)
        if tab is self.shown_tab():
            self.status.show_zoom(text)

    def toggle_box(self, box: ttk.Checkbutton) -> None:
        """A menu check entry was toggled (its variable is the box's): run the box's own command."""
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
    def _cycle(self, step: int) -> None:
        tabs = [self.sender, self.receiver]
        self.notebook.select(tabs[(tabs.index(self.shown_tab()) + step) % len(tabs)])  # type: ignore[no-untyped-call]

    def _focus_tab(self) -> None:
        """Keyboard focus on the shown tab's first button, so its shortcuts and Tab order work at once."""
        shown = self.shown_tab()
        (shown.receive_button if isinstance(shown, ReceiverTab) else shown.open_button).focus_set()
        self.status.show_zoom(shown.view.zoom_text if shown.view.image is not None else "")
        self._update_title()

    def _shared(self, shared: Shared | None) -> None:
        if shared is not None:
            self._remember(lambda s: s.remember_key(shared.key))
        if self._receive_after_share:  # --send and --receive: this window receives its own share
            self._receive_after_share = False
            self.show_tab(Tab.RECEIVER)
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


def _shown_tab(notebook: ttk.Notebook) -> str:
    """The shown tab's path name. typeshed leaves ttk.Notebook's select() and tabs() unannotated: the
    window calls them in this function and in show_tab and _cycle only."""
    return str(notebook.select())  # type: ignore[no-untyped-call]


def _tab_only() -> None:
    """View > Sender tab and the like: showing the tab is all they do."""


def build_app(root: tk.Tk, key: str = DEFAULT_KEY, send_file: str | Sequence[str] | None = None,
              receive: bool = False, follow: bool = False) -> App:
    """Build the window on root (nothing runs until root's event loop does); follow turns the Receiver
    tab's Follow on (with receive it opens on that tab)."""
    return App(root, key, send_file, receive, follow)


def install_signal_handlers(app: App) -> None:
    """SIGTERM, SIGINT and SIGHUP close the window cleanly, from the Tk loop rather than inside the handler."""
    def stop() -> None:
        if not app.closed:
            app.root.after(0, app.close)

    lifecycle.on_stop_signals(stop)


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
