"""The window: title, Sender and Receiver tabs, status bar, shortcuts, the callback-error hook, and a
clean close (sharing stopped, objects removed) on the close button, Ctrl+Q, SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import sys
import tkinter as tk
from tkinter import ttk

from ..crashlog import write_crash_log
from ..ipc import DEFAULT_KEY
from .receiver_tab import ReceiverTab
from .sender_tab import SenderTab
from .status import StatusBar

HEARTBEAT_MS = 200  # Python runs signal handlers only when Tk calls back into it: make sure it does
MIN_SIZE = (640, 440)


class App:
    """The built window; `app.close()` stops everything. Built by build_app(), run by run_gui()."""

    def __init__(self, root: tk.Tk, key: str, send_file: str | None, receive: bool, follow: bool = False):
        self.root = root
        self.closed = False
        self.callback_errors: list[BaseException] = []
        root.title("imgshare")
        root.minsize(*MIN_SIZE)
        width, height = min(1100, root.winfo_screenwidth() - 40), min(720, root.winfo_screenheight() - 80)
        root.geometry(f"{max(width, MIN_SIZE[0])}x{max(height, MIN_SIZE[1])}")
        root.report_callback_exception = self.report_callback_exception
        self.status = StatusBar(root)
        self.status.pack(side="bottom", fill="x")
        ttk.Separator(root).pack(side="bottom", fill="x")
        self.notebook = ttk.Notebook(root)
        self.notebook.pack(fill="both", expand=True, padx=4, pady=(4, 0))
        self._receive_after_share = bool(send_file and receive and not follow)
        self.sender = SenderTab(self.notebook, self.status, key, on_shared=self._shared)
        self.receiver = ReceiverTab(self.notebook, self.status, key)
        self.notebook.add(self.sender, text="Sender", underline=0)
        self.notebook.add(self.receiver, text="Receiver", underline=0)
        self.notebook.enable_traversal()  # Ctrl+Tab, Ctrl+Shift+Tab, Alt+S, Alt+R
        self._bind_shortcuts()
        root.protocol("WM_DELETE_WINDOW", self.close)
        self._heartbeat = root.after(HEARTBEAT_MS, self._beat)
        if self.sender.drop_problem:
            self.status.say(f"Ready; {self.sender.drop_problem}")
        self.notebook.bind("<<NotebookTabChanged>>", lambda _e: self._focus_tab())
        if receive:
            self.notebook.select(self.receiver)
        self._focus_tab()
        if follow:  # follow waits for a share to appear, so it may start before --send's share
            self.receiver.set_follow(True)
        if send_file:
            self.sender.open_paths([send_file], then_share=True)
        elif receive and not follow:
            self.receiver.receive()

    def _bind_shortcuts(self) -> None:
        keys = {"o": (self.sender, self.sender.open), "v": (self.sender, self._paste),
                "r": (self.receiver, self.receiver.receive), "s": (self.receiver, self.receiver.save),
                "q": (None, self.close)}
        for letter, (tab, action) in keys.items():
            for sequence in (f"<Control-{letter}>", f"<Control-{letter.upper()}>"):
                self.root.bind(sequence, lambda _e, tab=tab, action=action: self._shortcut(tab, action))
        for sequence in ("<Control-Return>", "<Control-KP_Enter>"):
            self.root.bind(sequence, lambda _e: self._shortcut(self.sender, self.sender.share))
        # Ttk's own Ctrl+Tab does nothing while the focus is on the bare toplevel: cycle here instead.
        self.root.bind("<Control-Tab>", lambda _e: self._cycle(1))
        for sequence in ("<Control-Shift-Tab>", "<Control-ISO_Left_Tab>"):
            self.root.bind(sequence, lambda _e: self._cycle(-1))

    def _cycle(self, step: int) -> str:
        tabs = self.notebook.tabs()
        self.notebook.select(tabs[(tabs.index(self.notebook.select()) + step) % len(tabs)])
        return "break"

    def _shortcut(self, tab, action) -> str:
        if tab is not None:
            self.notebook.select(tab)
        action()
        return "break"

    def _focus_tab(self) -> None:
        """Keyboard focus on the shown tab's first button, so its shortcuts and Tab order work at once."""
        shown = self.receiver if self.notebook.select() == str(self.receiver) else self.sender
        (shown.receive_button if shown is self.receiver else shown.open_button).focus_set()

    def _paste(self) -> None:
        """Ctrl+V in a text entry pastes text there; anywhere else it pastes an image to share."""
        if isinstance(self.root.focus_get(), (tk.Entry, ttk.Entry)):
            return
        self.sender.paste()

    def _shared(self, shared) -> None:
        if self._receive_after_share:  # --send and --receive: this window receives its own share
            self._receive_after_share = False
            self.notebook.select(self.receiver)
            self.receiver.receive()

    def _beat(self) -> None:
        self._heartbeat = self.root.after(HEARTBEAT_MS, self._beat)

    def report_callback_exception(self, exc_type, exc, tb) -> None:
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
            self.receiver.close()
        finally:
            self.sender.close()
            self.root.destroy()


def build_app(root: tk.Tk, key: str = DEFAULT_KEY, send_file: str | None = None, receive: bool = False,
              follow: bool = False) -> App:
    """Build the window on root (nothing runs until root's event loop does); follow turns the Receiver
    tab's Follow on (with receive it opens on that tab)."""
    return App(root, key, send_file, receive, follow)


def install_signal_handlers(app: App) -> None:
    """SIGTERM and SIGINT close the window cleanly, from the Tk loop rather than inside the handler."""
    def handler(signum, _frame):
        if not app.closed:
            app.root.after(0, app.close)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def run_gui(key: str = DEFAULT_KEY, send_file: str | None = None, receive: bool = False,
            follow: bool = False) -> int:
    """Open the window and run it until closed; returns the exit code."""
    try:
        root = tk.Tk(className="imgshare")
    except tk.TclError as exc:
        print(f"imgshare: error: cannot open the window ({exc}); run it in a desktop session, "
              "or use the command-line verbs (imgshare --help)", file=sys.stderr)
        return 1
    app = build_app(root, key=key, send_file=send_file, receive=receive, follow=follow)
    install_signal_handlers(app)
    try:
        root.mainloop()
    finally:
        app.close()
    return 0
