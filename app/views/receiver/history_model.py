"""The Receiver's history of followed frames, with no widgets: the last frames received (every one, not
only those drawn), within a count and a memory budget, and saving them to a folder.

Frames are added on the follow thread and read on the Tk thread: one lock guards the list. The folder
is written as `receive --follow -o FOLDER/` writes one: NNNNNN.ext per frame (its sequence number, an
extension that keeps its mode exactly) and imgshare-frames.jsonl, one line per frame with its time since
the first ({"file": "000012.png", "time": 0.5, "sequence": 12}), so `send FOLDER/` replays it.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from dataclasses import dataclass

from PIL import Image

from ...image16 import Image16
from ...imaging import lossless_extension, save_image
from ...ipc import ImageError
from ...oserrors import plain_reason
from .model import Got

RECORDING = "imgshare-frames.jsonl"  # the frames' times, beside them
_BYTES_PER_VALUE = {"F": 4, "I": 4, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "1": 1,
                    "RGB;16": 2, "RGBA;16": 2}


@dataclass(frozen=True)
class Kept:
    """A followed frame in the history: what was received, when (time.monotonic()), the memory it holds."""

    got: Got
    at: float
    size: int


def held_bytes(got: Got) -> int:
    """The memory a received frame holds: its pixels, and its display copy's when that is another image."""
    total = _pixel_bytes(got.image)
    if got.base is not got.image:
        total += _pixel_bytes(got.base)
    return total


def _pixel_bytes(image: Image.Image | Image16) -> int:
    bands = image.bands if isinstance(image, Image16) else len(image.getbands())
    return image.width * image.height * bands * _BYTES_PER_VALUE.get(image.mode, 1)


class FrameHistory:
    """The last followed frames: at most max_frames, holding at most budget bytes (the oldest go first;
    a frame larger than the whole budget is not kept). add() from any thread; the rest too."""

    def __init__(self, max_frames: int, budget: int):
        self.set_limits(max_frames, budget)
        self._lock = threading.Lock()
        self._frames: collections.deque[Kept] = collections.deque()
        self._bytes = 0
        self.added = 0  # frames ever added (tests and the history bar's "new frames" count)

    def add(self, got: Got) -> None:
        kept = Kept(got, time.monotonic(), held_bytes(got))
        with self._lock:
            self.added += 1
            if self._frames and self._frames[-1].got.info.key != got.info.key:  # another key: start again
                self._frames.clear()
                self._bytes = 0
            if kept.size > self.budget or self.max_frames == 0:
                return
            self._frames.append(kept)
            self._bytes += kept.size
            while self._frames and (self._bytes > self.budget or len(self._frames) > self.max_frames):
                self._bytes -= self._frames.popleft().size

    def set_limits(self, max_frames: int, budget: int) -> None:
        """How many frames and bytes to keep at most (from the settings); applies from the next frame."""
        self.max_frames, self.budget = max(0, max_frames), max(0, budget)

    def frames(self) -> list[Kept]:
        """The frames kept now, oldest first (a copy of the list: the follow thread may add meanwhile)."""
        with self._lock:
            return list(self._frames)

    @property
    def bytes_held(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0


def save_history(frames: list[Kept], folder: str) -> str:
    """Write frames into folder (made if missing) as `receive --follow -o` would; an existing file is
    never replaced (NNNNNN-2.png then). Returns the sentence that says what was written."""
    if not frames:
        raise ImageError("the history is empty: follow a key first")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot make the folder {folder}: {plain_reason(exc)}") from None
    start = frames[0].at
    lines = []
    for kept in frames:
        image, info = kept.got.image, kept.got.info
        path = _free_name(folder, f"{info.sequence:06d}", lossless_extension(image.mode))
        save_image(image, path)
        lines.append(json.dumps({"file": os.path.basename(path), "time": round(kept.at - start, 6),
                                 "sequence": info.sequence}))
    recording = os.path.join(folder, RECORDING)
    try:
        with open(recording, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise ImageError(f"cannot write {recording}: {plain_reason(exc)}") from None
    count = f"{len(frames)} frame{'s' if len(frames) != 1 else ''}"
    return (f"Saved the history's {count} (sequences {frames[0].got.info.sequence} to "
            f"{frames[-1].got.info.sequence}) in {folder}; imgshare send {folder}/ replays them")


def _free_name(folder: str, stem: str, extension: str) -> str:
    path, n = os.path.join(folder, stem + extension), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(folder, f"{stem}-{n}{extension}")
    return path
