"""Animated images: decode every frame with its duration, and play them through a Sender in a thread.

No Tk here: the CLI and the Sender tab both use Player, whose callbacks run on its own thread (the tab
hands them to the Tk thread through its worker queue).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageSequence

from .image16 import Image16
from .imaging import ImageSource, decoded, opened_image
from .ipc import ImageSender, ImgShareError

DEFAULT_FRAME_SECONDS = 0.1
MIN_FRAME_SECONDS = 0.01  # browsers treat 0 ms GIF frames as ~10 ms; do the same


@dataclass(frozen=True)
class Frame:
    image: Image.Image | Image16
    seconds: float


def load_frames(source: ImageSource, *, name: str | None = None) -> list[Frame]:
    """Every frame of an image file (or binary stream) with its display time; one frame for a still
    image, in the file's own mode. The file is decoded once.

    Errors are ImageError / TooLargeError with one sentence, as for load_image.
    """
    with opened_image(source, name=name) as opened:
        if getattr(opened, "n_frames", 1) <= 1:
            return [Frame(decoded(opened, source), 0.0)]
        frames = []
        try:
            for frame in ImageSequence.Iterator(opened):
                duration = frame.info.get("duration", opened.info.get("duration", 0)) or 0
                seconds = max(MIN_FRAME_SECONDS, duration / 1000) if duration else DEFAULT_FRAME_SECONDS
                # Frames after the first may differ in mode (GIF: P, then RGB/RGBA); RGBA holds all.
                frames.append(Frame(frame.convert("RGBA"), seconds))
        except (OSError, ValueError, EOFError):
            if not frames:
                raise
            return frames[:1]  # a damaged later frame: share the first, still
        return frames


class Player:
    """Shares frames through sender at their own durations, looping (or once), until stopped."""

    def __init__(self, sender: ImageSender, frames: list[Frame], source_name: str = "",
                 on_frame: Callable[[int, int], None] | None = None,
                 on_error: Callable[[ImgShareError], None] | None = None, *, first_shared: bool = False,
                 loop: bool = True, on_end: Callable[[], None] | None = None):
        """first_shared: the caller has just shared frames[0] itself; play on from its end (sharing it
        again would hand followers the first frame twice in a row). Without loop, on_end is called once
        the last frame's time is over."""
        self._loop = loop
        self._on_end = on_end
        self._sender = sender
        self._first_shared = first_shared
        self._frames = frames
        self._source = source_name
        self._on_frame = on_frame
        self._on_error = on_error
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="imgshare-player", daemon=True)

    def start(self) -> Player:
        self._thread.start()
        return self

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self, wait: float = 2.0) -> None:
        self._stop.set()
        self._running.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    def _run(self) -> None:
        index = 0
        next_due = time.monotonic()
        if self._first_shared:
            index, next_due = 1 % len(self._frames), next_due + self._frames[0].seconds
            self._stop.wait(self._frames[0].seconds)
        while not self._stop.is_set():
            self._running.wait()
            if self._stop.is_set():
                return
            frame = self._frames[index]
            try:
                sequence = self._sender.share(frame.image, source_name=self._source)
            except ImgShareError as exc:
                if self._on_error:
                    self._on_error(exc)
                return
            if self._on_frame:
                self._on_frame(index, sequence)
            # Keep to the animation's clock; after a pause or a slow share, do not rush to catch up.
            next_due = max(next_due + frame.seconds, time.monotonic())
            self._stop.wait(max(0.0, next_due - time.monotonic()))
            if not self._running.is_set():
                next_due = time.monotonic()
            if index == len(self._frames) - 1 and not self._loop:
                if self._on_end and not self._stop.is_set():
                    self._on_end()
                return
            index = (index + 1) % len(self._frames)
