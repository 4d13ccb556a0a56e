"""The Sender tab's work, with no widgets: load an image for sharing, and one Sender per tab.

Everything here runs in the tab's worker thread; the tab only renders what these functions return.
"""

from __future__ import annotations

import datetime
import os
import threading
from dataclasses import dataclass

from PIL import Image

from ..imaging import load_image
from ..ipc import ImageError, ImgShareError, Sender, sysv_key
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


def load_file(path: str) -> Loaded:
    """Decode an image file (ImageError / TooLargeError with a sentence if it cannot be shared)."""
    image = load_image(path)
    try:
        file_size = os.path.getsize(path)
    except OSError:
        file_size = None
    return Loaded(image, os.path.basename(path), os.path.abspath(path), file_size, display_base(image))


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
    leaves what was shared before untouched.
    """

    def __init__(self, lock_timeout: float = 5.0):
        self.lock_timeout = lock_timeout
        self._sender: Sender | None = None
        self._mutex = threading.Lock()
        self._closed = False

    def share(self, key: str, loaded: Loaded) -> Shared:
        with self._mutex:
            if self._closed:
                raise ImgShareError("the window is closing; nothing was shared")
            sender = self._sender
            fresh = sender is None or sender.key != key
            if fresh:
                sender = Sender(key, lock_timeout=self.lock_timeout)
            try:
                sequence = sender.share(loaded.image, source_name=loaded.source_name)
            except BaseException:
                if fresh:
                    sender.close()
                raise
            if fresh and self._sender is not None:
                self._sender.close()
            self._sender = sender
            return Shared(key, sysv_key(key), sequence, loaded.image.size, loaded.image.mode,
                          loaded.source_name, datetime.datetime.now())

    def stop(self) -> str | None:
        """Stop sharing (segment and semaphore removed); returns the key that was shared, if any."""
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


def loaded_rows(loaded: Loaded) -> list[tuple[str, str]]:
    image = loaded.image
    return [("Source", loaded.source_name), ("Size", f"{image.width} x {image.height}"),
            ("Mode", image.mode), ("File size", human_size(loaded.file_size) if loaded.file_size else "-")]


def shared_rows(shared: Shared | None) -> list[tuple[str, str]]:
    if shared is None:
        return [("Key", "not sharing"), ("Sequence", "-"), ("Image", "-"), ("Since", "-")]
    return [("Key", f"{shared.key} ({shared.sysv_key:#010x})"), ("Sequence", str(shared.sequence)),
            ("Image", f"{shared.size[0]} x {shared.size[1]} {shared.mode}, {shared.source_name}"),
            ("Since", shared.when.strftime("%H:%M:%S"))]


def human_size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
