"""The Receiver tab's Follow toggle: show each new share as it comes, its frame rate and age, and
"sender gone" when the sender stops or dies (following goes on and picks up the next sender).

The controller never touches the tab's widgets: the tab hands it a FollowHooks of typed callables,
so renaming a widget is a type error here, not a failure at run time.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from ...ipc import DEFAULT_LOCK_TIMEOUT, ImgShareError, ShareInfo
from ..background.inbox import Inbox
from .follow_model import FollowingThread, FollowThread, Gone, RateMeter, follow_age_text, rate_text
from .model import QT_FORMAT_NOW, Got, is_remote, qt_format_sentence
from .remote_model import RemoteFollowThread

TICK_MS = 250  # frame rate and age refresh
RESTART_MS = 400  # after the key was edited, follow the new key once typing pauses

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class FollowHooks:
    """What following needs from the tab."""

    widget: tk.Misc  # for after() and the inbox's polling
    key: Callable[[], str]  # the key in the key field
    wanted: Callable[[], bool]  # whether the Follow box is ticked
    set_wanted: Callable[[bool], None]  # tick or untick it (without starting or stopping anything)
    show_frame: Callable[[Got], None]  # a followed frame, shown in place
    shown: Callable[[], Got | None]  # the image on screen now
    show_rows: Callable[[Rows], None]  # header panel rows
    on_rendered: Callable[[Callable[[], None] | None], None]  # set the view's hook run once per image shown
    say: Callable[[str], None]
    error: Callable[[str], None]
    still_says: Callable[[str], bool] = lambda _text: False  # whether the status bar shows this sentence still
    keep: Callable[[Got], None] = lambda _got: None  # every frame received, on the follow thread (the history)
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT


class FollowController:
    """Owned by the ReceiverTab; runs on the Tk thread only (the session's thread posts to the inbox)."""

    def __init__(self, hooks: FollowHooks):
        self.hooks = hooks
        self.session: FollowingThread | None = None
        self.shown = RateMeter()  # frames put on screen
        self.received = RateMeter()  # frames the follow thread received (ticked on that thread)
        self.gone = False
        self._inbox: Inbox | None = None
        self._tick_after: str | None = None
        self._restart_after: str | None = None
        self._frames = 0
        self._said = ""  # the sentence about the frames it said last: kept up to date while it stays

    @property
    def active(self) -> bool:
        return self.session is not None

    def start(self) -> bool:
        """Follow the key in the key field (stopping any other follow); False if the key is unusable."""
        self.stop()
        hooks = self.hooks
        key = hooks.key()
        inbox = Inbox(hooks.widget)
        session: FollowingThread | None = None

        def on_frame(got: Got) -> None:
            self.received.tick()
            hooks.keep(got)
            inbox.post("frame", self._frame, session, got, latest=True)

        def on_error(exc: ImgShareError) -> None:
            inbox.post("error", self._error, session, exc)

        try:
            if is_remote(key):  # an address of a bridge server (imgshare bridge serve): pulled from there
                session = RemoteFollowThread(key, on_frame, on_error, lambda words, connected: inbox.post(
                    "status", self._remote_status, session, words, connected, latest=True))
            else:
                session = FollowThread(key, on_frame, lambda gone: inbox.post("gone", self._gone, session, gone),
                                       on_error, lock_timeout=hooks.lock_timeout)
        except ImgShareError as exc:
            inbox.close()
            hooks.error(f"{exc}; not following")
            return False
        self.session, self._inbox, self.gone, self._frames = session, inbox, False, 0
        self.shown.reset()
        self.received.reset()
        hooks.on_rendered(self.shown.tick)
        session.start()
        self._tick_after = hooks.widget.after(TICK_MS, self._tick)
        hooks.say(f"Following key {key!r}: each new image is shown as it is shared")
        return True

    def stop(self) -> None:
        """Stop following (the thread ends by itself within half a second); returns at once."""
        self._cancel_restart()
        if self.session is None:
            return
        self.session.stop()
        if self._inbox is not None:
            self._inbox.close()
        self.session = self._inbox = None
        self.hooks.on_rendered(None)
        if self._tick_after is not None:
            self.hooks.widget.after_cancel(self._tick_after)
            self._tick_after = None
        self.hooks.show_rows([("Frame rate", "not following")])

    def key_changed(self) -> None:
        """The key was edited while following: stop now, follow the new key once typing pauses."""
        if not self.hooks.wanted():
            return
        self.stop()
        self._restart_after = self.hooks.widget.after(RESTART_MS, self._restart)

    def close(self) -> None:
        self.stop()

    # -- on the Tk thread, from the inbox ------------------------------------------------------------
    def _frame(self, session: FollowingThread, got: Got) -> None:
        if session is not self.session:
            return  # a frame from a follow that has since been stopped
        was_gone, first = self.gone, self._frames == 0
        self.gone = False
        self._frames += 1
        self.hooks.show_frame(got)
        info = got.info
        if first or (was_gone and not session.says_state):  # a bridge said "connected" itself
            self._say_frames(info, "a new sender" if was_gone else "the sender")

    def _gone(self, session: FollowThread, gone: Gone) -> None:
        if session is not self.session:
            return
        self.gone = True
        info = gone.info
        if gone.qt_format:  # not gone: it turned to Qt's format, which has no new-image signal to follow
            pid = f"pid {info.sender_pid}, " if info is not None else ""
            self.hooks.show_rows([("Sender", pid + QT_FORMAT_NOW)])
            self.hooks.say(qt_format_sentence(session.key))
            return
        if info is None:
            return
        self.hooks.show_rows([("Sender", f"pid {info.sender_pid}, sender gone")])
        self.hooks.say(f"Sender gone: pid {info.sender_pid} no longer shares under key {info.key!r}; "
                       "the last image stays on screen and following goes on")

    def _remote_status(self, session: RemoteFollowThread, words: str, connected: bool) -> None:
        """The bridge's state changed: connected, waiting for the server, or source gone (the last image
        stays on screen and following goes on)."""
        if session is not self.session:
            return
        self.gone = not connected
        self.hooks.show_rows([("Sender", words)])
        if connected:
            self.hooks.say(f"Following {words}")
        else:
            self.hooks.say(f"{words[0].upper()}{words[1:]}; the last image stays on screen and following goes on")

    def _error(self, session: FollowingThread, exc: ImgShareError) -> None:
        if session is self.session:
            self.hooks.error(f"{exc}; still following key {session.key!r}")

    def _say_frames(self, info: ShareInfo, who: str) -> None:
        self._said = (f"Following key {info.key!r}: {who} (pid {info.sender_pid}) shares {info.width}x{info.height} "
                      f"{info.mode}, sequence {info.sequence}")
        self.hooks.say(self._said)

    def _tick(self) -> None:
        self._tick_after = self.hooks.widget.after(TICK_MS, self._tick)
        got = self.hooks.shown()
        if self._said and got is not None and self.hooks.still_says(self._said) and not self.gone:
            if not self._said.endswith(f", sequence {got.info.sequence}"):  # the sentence follows the frames
                self._say_frames(got.info, "the sender")
        missed = f", {self.session.missed} missed" if self.session is not None else ""
        self.hooks.show_rows([("Frame rate", rate_text(self.shown.rate(), self.received.rate()) + missed)])
        got = self.hooks.shown()
        if got is not None and self._frames:
            self.hooks.show_rows([("Age", follow_age_text(got.info.age))])

    def _restart(self) -> None:
        self._restart_after = None
        if self.hooks.wanted() and not self.active:
            if not self.start():
                self.hooks.set_wanted(False)

    def _cancel_restart(self) -> None:
        if self._restart_after is not None:
            self.hooks.widget.after_cancel(self._restart_after)
            self._restart_after = None
