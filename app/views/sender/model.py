"""The Sender tab's work, with no widgets: load an image for sharing, and the tab's serving session
(app/serving.py, shared with `imgshare send`) spoken in terms of loaded images.

Everything here runs in the tab's worker thread, except the session's callbacks, which run on the
player's and the watcher's threads (the tab hands them to the Tk thread); the tab only renders results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from ...image16 import Image16
from ...ipc import ChannelKind, ImageError, ImgShareError
from ...playback import Frame, load_frames
from ...serving import ServingEvents, ServingSession, Shared, Watch
from ..desktop import clipboard
from ..imageview.display import display_base

__all__ = ["Loaded", "Shared", "SenderSession", "Watch", "load_clipboard", "load_file", "load_first",
           "loaded_rows", "shared_rows"]


@dataclass(frozen=True)
class Loaded:
    """An image ready to share: the decoded image, where it came from, and its display copy."""

    image: Image.Image | Image16  # 16-bit colour (RGB;16, RGBA;16) is an Image16
    source_name: str
    path: str | None
    file_size: int | None
    base: Image.Image
    frames: tuple[Frame, ...] = ()  # every frame of an animation; empty for a still image

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1

    @property
    def all_frames(self) -> tuple[Frame, ...]:
        return self.frames or (Frame(self.image, 0.0),)


def _loaded_from(frames: Sequence[Frame], path: str) -> Loaded:
    image = frames[0].image
    try:
        file_size: int | None = os.path.getsize(path)
    except OSError:
        file_size = None
    return Loaded(image, os.path.basename(path), os.path.abspath(path), file_size, display_base(image),
                  tuple(frames) if len(frames) > 1 else ())


def load_file(path: str) -> Loaded:
    """Decode an image file, every frame of an animation (ImageError / TooLargeError with a sentence if
    it cannot be shared)."""
    return _loaded_from(load_frames(path), path)


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


class SenderSession(ServingSession):
    """The tab's serving session, taking Loaded images; display copies of a watched file's new
    versions are made on the watcher's thread, never the Tk thread."""

    def connect(self, *, on_frame: Callable[[int, int], None], on_player_error: Callable[[ImgShareError], None],
                on_new_version: Callable[[Shared, Loaded], None],
                on_skipped: Callable[[ImgShareError], None]) -> None:
        """Set the callbacks (each called on the session's threads) before the first share."""
        def new_version(shared: Shared, frames: Sequence[Frame]) -> None:
            on_new_version(shared, _loaded_from(frames, shared.watching or ""))

        self.events = ServingEvents(frame=on_frame, failed=on_player_error, new_version=new_version,
                                    skipped=on_skipped)

    def share_loaded(self, key: str, loaded: Loaded, qt: bool = False, watch: bool = False) -> Shared:
        """Share loaded under key (Qt's format with qt); with watch, re-share its file when it changes."""
        return self.share(key, loaded.all_frames, loaded.source_name, path=loaded.path,
                          kind=ChannelKind.of(qt), watch=watch)


def loaded_rows(loaded: Loaded) -> list[tuple[str, str]]:
    image = loaded.image
    return [("Source", loaded.source_name), ("Size", f"{image.width} x {image.height}"),
            ("Mode", image.mode), ("File size", human_size(loaded.file_size) if loaded.file_size else "-")]


def shared_rows(shared: Shared | None) -> list[tuple[str, str]]:
    if shared is None:
        return [("Key", "not sharing"), ("Sequence", "-"), ("Frame", "-"), ("Image", "-"), ("Since", "-")]
    system_v = f"{shared.sysv_key:#010x}" if shared.sysv_key is not None else "System V key unknown"
    kind = ", Qt format" if shared.kind is ChannelKind.QT else ""
    return [("Key", f"{shared.key} ({system_v}{kind})"), ("Sequence", str(shared.sequence)),
            ("Frame", f"1 of {shared.frames}" if shared.frames > 1 else "still image"),
            ("Image", f"{shared.size[0]} x {shared.size[1]} {shared.mode}, {shared.source_name}"),
            ("Since", shared.when.strftime("%H:%M:%S"))]


def human_size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = count / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
