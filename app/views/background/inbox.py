"""Messages from background threads (follow, player, file watcher) to the Tk thread, newest first.

Any thread may `post(tag, callback, *args)`; the Tk thread polls with after() and runs the callbacks
in order. A message posted with `latest=True` replaces any message with the same tag still waiting,
so a burst of frames costs one render (the newest), while "sender gone" or an error is never dropped.
"""

from __future__ import annotations

import threading
import tkinter as tk
from collections.abc import Callable
from typing import Any

POLL_MS = 10


class Inbox:
    """`inbox.post("frame", show, frame, latest=True)` from any thread; `inbox.close()` on the Tk thread."""

    def __init__(self, widget: tk.Misc, poll_ms: int = POLL_MS):
        self._widget = widget
        self._poll_ms = poll_ms
        self._lock = threading.Lock()
        self._messages: list[tuple[str, Callable[..., None], tuple[Any, ...]]] = []
        self._closed = False
        self._after_id: str | None = widget.after(poll_ms, self._poll)

    def post(self, tag: str, callback: Callable[..., None], *args: Any, latest: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            if latest:
                self._messages = [m for m in self._messages if m[0] != tag]
            self._messages.append((tag, callback, args))

    def discard(self, tag: str) -> None:
        """Forget waiting messages with tag (their sender has been stopped)."""
        with self._lock:
            self._messages = [m for m in self._messages if m[0] != tag]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._messages = []
        if self._after_id is not None:
            try:
                self._widget.after_cancel(self._after_id)
            except Exception:  # the widget is already destroyed
                pass
            self._after_id = None

    def _poll(self) -> None:
        with self._lock:
            messages, self._messages = self._messages, []
        try:
            for _tag, callback, args in messages:
                callback(*args)
        finally:
            if not self._closed:
                self._after_id = self._widget.after(self._poll_ms, self._poll)
