"""A folder of frames with their times: `receive --follow -o FOLDER/` writes each image and a line of
FOLDER/imgshare-frames.jsonl ({"file": "000012.png", "time": 0.5, "sequence": 12}: seconds since the
first frame); `send FOLDER/` plays the folder's images in name order, at those times when they are
there, or at --fps. No Tk here."""

from __future__ import annotations

import json
import os
import time
from typing import TextIO

from PIL import Image

from .ipc.errors import ImageError
from .playback import DEFAULT_FRAME_SECONDS, Frame

RECORDING = "imgshare-frames.jsonl"


class FrameLog:
    """Appends one line per frame written into a folder (flushed at once: a follower may be killed)."""

    def __init__(self, folder: str):
        self._path = os.path.join(folder, RECORDING)
        self._file: TextIO | None = None
        self._start: float | None = None

    def add(self, path: str, sequence: int) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        try:
            if self._file is None:
                self._file = open(self._path, "a", encoding="utf-8")  # kept open: a line a frame
            self._file.write(json.dumps({"file": os.path.basename(path), "time": round(now - self._start, 6),
                                         "sequence": sequence}) + "\n")
            self._file.flush()
        except OSError as exc:
            raise ImageError(f"cannot write {self._path}: {exc.strerror}") from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def folder_images(folder: str) -> list[str]:
    """The image files of folder, in name order (the recording and sidecars left out)."""
    Image.init()
    known = Image.registered_extensions()
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise ImageError(f"cannot read the folder {folder}: {exc.strerror}") from None
    return [os.path.join(folder, name) for name in names
            if os.path.splitext(name)[1].lower() in known and os.path.isfile(os.path.join(folder, name))]


def recorded_times(folder: str) -> dict[str, float]:
    """file name -> seconds since the first frame, from the folder's recording ({} when there is none)."""
    path = os.path.join(folder, RECORDING)
    times: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                    times[str(entry["file"])] = float(entry["time"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a killed follower
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror}") from None
    return times


def load_folder(folder: str, fps: float | None) -> list[Frame]:
    """Every image of folder as a frame lasting 1/fps s, or as long as recorded (ImageError if the
    folder holds no image, or fps is None and no time was recorded)."""
    from .imaging import load_image
    paths = folder_images(folder)
    if not paths:
        raise ImageError(f"the folder {folder} holds no image files")
    if fps is None:
        times = recorded_times(folder)
        missing = [p for p in paths if os.path.basename(p) not in times]
        if missing:
            raise ImageError(f"the folder {folder} has no recorded time for {os.path.basename(missing[0])} "
                             f"(recorded by receive --follow -o in {RECORDING}); give --fps N to play it")
        starts = [times[os.path.basename(p)] for p in paths]
        gaps = [max(0.0, later - earlier) for earlier, later in zip(starts, starts[1:], strict=False)]
        last = sorted(gaps)[len(gaps) // 2] if gaps else DEFAULT_FRAME_SECONDS  # the typical gap
        seconds = gaps + [last]
    else:
        seconds = [1.0 / fps] * len(paths)
    return [Frame(load_image(path), max(0.001, s)) for path, s in zip(paths, seconds, strict=True)]
