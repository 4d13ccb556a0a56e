"""The Sender tab's work, with no widgets: load an image for sharing, and one Sender per tab, which
may play an animation (Player) and re-share a watched file (FileWatcher).

Everything here runs in the tab's worker thread, except the player's and watcher's callbacks, which
run on their own threads (the tab hands them to the Tk thread); the tab only renders the results.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from ..ipc import ImageError, ImgShareError, Sender, sysv_key
from ..playback import Frame, Player, load_frames
from ..watching import FileWatcher
from . import clipboard
from .display import display_base


@dataclass(frozen=True)
class Loaded:
    """An image ready to share: the decoded image, where it came from, and its display copy."""

    image: Image.Image
    source_name: str
    path: str | None
    file_size: int | None
    base: Image.Image
    frames: tuple[Frame, ...] = ()  # every frame of an animation; empty for a still image

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1


@dataclass(frozen=True)
class Shared:
    """What is shared now."""

    key: str
    sysv_key: int
    sequence: int
    size: tuple[int, int]
    mode: str
    source_name: str
    when: datetime.datetime
    frames: int = 1  # more than one: an animation is playing


def load_file(path: str) -> Loaded:
    """Decode an image file, every frame of an animation (ImageError / TooLargeError with a sentence if
    it cannot be shared)."""
    frames = load_frames(path)
    image = frames[0].image
    try:
        file_size = os.path.getsize(path)
    except OSError:
        file_size = None
    return Loaded(image, os.path.basename(path), os.path.abspath(path), file_size, display_base(image),
                  tuple(frames) if len(frames) > 1 else ())


def load_clipboard() -> Loaded:
    """The clipboard's image, or the first image file among the files it holds."""
    pasted = clipboard.paste()
    if isinstance(pasted, list):
        return load_first(pasted)
    return Loaded(pasted, "clipboard", None, None, display_base(pasted))


def load_first(paths: list[str]) -> Loaded:
    """The first of paths that opens as an image (dropped or pasted files); else the first error."""
    first_error: ImgShareError | None = None
    for path in paths:
        try:
            return load_file(path)
        except ImgShareError as exc:
            first_error = first_error or exc
    raise first_error or ImageError("no file was given")


class SharingSession:
    """The tab's one Sender: share under a key, replace, stop; closed once, for good, with the window.

    A share under a new key first succeeds under that key, then stops the old share, so an error
    leaves what was shared before untouched. An animation plays in a Player and a watched file is
    re-shared by a FileWatcher; both are stopped (their threads ended) before the Sender is closed.
    """

    def __init__(self, lock_timeout: float = 5.0):
        self.lock_timeout = lock_timeout
        self._sender: Sender | None = None
        self._mutex = threading.Lock()
        self._closed = False
        self._player: Player | None = None
        self._watcher: FileWatcher | None = None

    def share(self, key: str, loaded: Loaded, on_frame: Callable[[int, int], None] | None = None,
              on_error: Callable[[ImgShareError], None] | None = None, qt: bool = False) -> Shared:
        """Share loaded under key; an animation then plays, on_frame(index, sequence) on its thread."""
        self._stop_player()
        with self._mutex:
            if self._closed:
                raise ImgShareError("the window is closing; nothing was shared")
            sender = self._sender
            fresh = sender is None or sender.key != key or isinstance(sender, Sender) == qt
            if fresh:
                sender = _new_sender(key, qt, self.lock_timeout)
            try:
                sequence = sender.share(loaded.image, source_name=loaded.source_name)
            except BaseException:
                if fresh:
                    sender.close()
                raise
            if fresh and self._sender is not None:
                self._sender.close()
            self._sender = sender
            if loaded.animated:
                self._player = Player(sender, list(loaded.frames), loaded.source_name, on_frame=on_frame,
                                      on_error=on_error).start()
            return Shared(key, sysv_key(key), sequence, loaded.image.size, loaded.image.mode,
                          loaded.source_name, datetime.datetime.now(), max(1, len(loaded.frames)))

    def watch(self, path: str, on_shared: Callable[[Shared, Loaded], None],
              on_skipped: Callable[[ImgShareError], None], **player_callbacks) -> None:
        """Re-share path each time it settles on new, decodable content (callbacks on the watcher's
        thread): on_shared(shared, loaded) after a new version is shared, on_skipped(error) when a
        version does not decode (the share is left as it was)."""
        self.unwatch()

        def changed(_image):
            try:
                loaded = load_file(path)
                with self._mutex:
                    if self._watcher is not watcher or self._sender is None:
                        return  # stopped meanwhile
                    key = self._sender.key
                shared = self.share(key, loaded, **player_callbacks)
            except ImgShareError as exc:
                on_skipped(exc)
                return
            on_shared(shared, loaded)

        with self._mutex:
            if self._closed:
                return
            watcher = self._watcher = FileWatcher(path, changed, on_skipped)
        watcher.start()

    def unwatch(self) -> None:
        with self._mutex:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def pause(self, paused: bool) -> bool:
        """Pause or resume the animation; returns whether one is playing (paused or not)."""
        player = self._player
        if player is not None:
            player.pause() if paused else player.resume()
        return player is not None

    @property
    def playing(self) -> bool:
        player = self._player
        return player is not None and not player.paused

    def stop(self) -> str | None:
        """Stop sharing (player and watcher ended, segment and semaphore removed); returns the key
        that was shared, if any."""
        self.unwatch()  # outside the mutex: the watcher's thread may be waiting for it
        self._stop_player()
        with self._mutex:
            sender, self._sender = self._sender, None
            if sender is not None:
                sender.close()
                return sender.key
            return None

    def close(self) -> None:
        """Stop sharing and refuse further shares (waits for a share in progress to finish)."""
        with self._mutex:
            self._closed = True
        self.stop()

    @property
    def sharing(self) -> bool:
        return self._sender is not None and self._sender.sharing

    def _stop_player(self) -> None:
        with self._mutex:
            player, self._player = self._player, None
        if player is not None:
            player.stop()


def _new_sender(key: str, qt: bool, lock_timeout: float):
    """imgshare's Sender, or in Qt mode one an unmodified QSharedMemory program can read."""
    if qt:
        from ..ipc.qt import QtSender
        return QtSender(key, lock_timeout=lock_timeout)
    return Sender(key, lock_timeout=lock_timeout)


def loaded_rows(loaded: Loaded) -> list[tuple[str, str]]:
    image = loaded.image
    return [("Source", loaded.source_name), ("Size", f"{image.width} x {image.height}"),
            ("Mode", image.mode), ("File size", human_size(loaded.file_size) if loaded.file_size else "-")]


def shared_rows(shared: Shared | None) -> list[tuple[str, str]]:
    if shared is None:
        return [("Key", "not sharing"), ("Sequence", "-"), ("Frame", "-"), ("Image", "-"), ("Since", "-")]
    return [("Key", f"{shared.key} ({shared.sysv_key:#010x})"), ("Sequence", str(shared.sequence)),
            ("Frame", f"1 of {shared.frames}" if shared.frames > 1 else "still image"),
            ("Image", f"{shared.size[0]} x {shared.size[1]} {shared.mode}, {shared.source_name}"),
            ("Since", shared.when.strftime("%H:%M:%S"))]


def human_size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
