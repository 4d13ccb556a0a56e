"""Watch an image file and hand over each new version once it decodes completely (no Tk here).

Polling the file's size and modification time is portable and cheap (a stat five times a second). A
change is taken only when two polls agree and the file decodes: a program still writing output.png
leaves a truncated file that fails to decode, so it is simply tried again at the next poll.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .imaging import load_image
from .ipc import ImageError

POLL_SECONDS = 0.2

Decoded = TypeVar("Decoded")
Stamp = tuple[int, int, int]


class FileWatcher(Generic[Decoded]):
    """Calls on_image(decoded) from its thread each time path settles on new content that `load`
    decodes (load_image by default: on_image gets a Pillow image)."""

    def __init__(self, path: str, on_image: Callable[[Decoded], None],
                 on_error: Callable[[ImageError], None] | None = None, *, poll: float = POLL_SECONDS,
                 skip_current: bool = True, load: Callable[[str], Decoded] = load_image):  # type: ignore[assignment]
        self.path = path
        self._load = load
        self._on_image = on_image
        self._on_error = on_error
        self._poll = poll
        self._stop = threading.Event()
        self._taken = self._stamp() if skip_current else None
        self._thread = threading.Thread(target=self._run, name="imgshare-file-watch", daemon=True)

    def start(self) -> FileWatcher[Decoded]:
        self._thread.start()
        return self

    def stop(self, wait: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    def _stamp(self) -> Stamp | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _run(self) -> None:
        previous = self._stamp()
        reported: str | None = None
        while not self._stop.wait(self._poll):
            stamp = self._stamp()
            settled = stamp is not None and stamp == previous
            previous = stamp
            if not settled or stamp == self._taken:
                continue
            try:
                decoded = self._load(self.path)
            except ImageError as exc:  # half written, or broken: try again at the next change
                if self._on_error and str(exc) != reported:
                    reported = str(exc)
                    self._on_error(exc)
                continue
            self._taken = stamp
            reported = None
            self._on_image(decoded)
