"""What the compare panel does, without Tk: load an expected image with the tolerances kept beside it,
compare a received image under the panel's tolerances, walk from one differing pixel to the next, and
accept the received image as the new golden. Runs in the panel's worker thread where it is slow."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from ...golden import Region, Tolerances, compare_images, load_side
from ...golden.goldens import write_golden
from ...golden.sidecar import read_sidecar, write_sidecar
from ...image16 import Image16
from ...ipc import ImageError

if TYPE_CHECKING:
    from ...golden.result import CompareResult

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Expected:
    """A golden image and the tolerances found beside it (its sidecar), as loaded."""

    path: str
    image: Image.Image | Image16  # 16-bit colour exactly (golden's Picture)
    sidecar: Tolerances | None

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def load_expected(path: str) -> Expected:
    """The golden at path and its sidecar's tolerances (ImageError with one sentence if unreadable)."""
    return Expected(path, load_side(path, "expected image"), read_sidecar(path))


@dataclass
class Outcome:
    """A comparison done in the worker: what was compared with what, under which tolerances."""

    expected: Expected
    received: Image.Image | Image16
    tolerances: Tolerances
    result: CompareResult
    walk: DifferenceWalk = field(init=False)
    box: tuple[int, int, int, int] | None = field(init=False)  # around every counted pixel

    def __post_init__(self) -> None:  # in the worker: both scan the whole mask
        self.walk = DifferenceWalk(self.result)
        self.box = self.result.bounding_box()

    @property
    def name(self) -> str:
        return self.expected.name


def run_compare(expected: Expected, received: Image.Image | Image16, tolerances: Tolerances, metrics: bool,
                progress: Progress | None = None) -> Outcome:
    return Outcome(expected, received, tolerances,
                   compare_images(received, expected.image, tolerances, metrics=metrics, progress=progress))


def load_and_compare(path: str, received: Image.Image | Image16, tolerances: Tolerances | None, metrics: bool,
                     progress: Progress | None = None) -> Outcome:
    """Load the golden and compare; tolerances None: the sidecar's (or exact when there is none)."""
    expected = load_expected(path)
    chosen = tolerances if tolerances is not None else (expected.sidecar or Tolerances())
    return run_compare(expected, received, chosen, metrics, progress)


class DifferenceWalk:
    """The counted pixels in reading order (rows top to bottom), to step through one at a time."""

    def __init__(self, result: CompareResult):
        import numpy as np
        mask = result.mask
        self.width = result.size[0]
        self._order = np.flatnonzero(mask) if mask is not None and result.differing else np.empty(0, np.int64)

    @property
    def count(self) -> int:
        return int(self._order.size)

    def _at(self, index: int) -> tuple[int, int]:
        flat = int(self._order[index % self.count])
        return flat % self.width, flat // self.width

    def after(self, where: tuple[int, int] | None) -> tuple[int, int] | None:
        """The next counted pixel after where (the first when None; round to the first after the last)."""
        if not self.count:
            return None
        if where is None:
            return self._at(0)
        import numpy as np
        flat = where[1] * self.width + where[0]
        return self._at(int(np.searchsorted(self._order, flat, side="right")))

    def before(self, where: tuple[int, int] | None) -> tuple[int, int] | None:
        """The counted pixel before where (the last when None; round to the last before the first)."""
        if not self.count:
            return None
        if where is None:
            return self._at(-1)
        import numpy as np
        flat = where[1] * self.width + where[0]
        return self._at(int(np.searchsorted(self._order, flat, side="left")) - 1)


def accept_as_expected(received: Image.Image, path: str) -> str:
    """Write the received image over the golden at path; refused (one sentence) for a format that
    would not keep it exactly."""
    return write_golden(received, path)


def accept_and_compare(received: Image.Image, path: str, tolerances: Tolerances, metrics: bool) -> Outcome:
    """Accept the received image as the golden at path, then compare with what was written."""
    accept_as_expected(received, path)
    return load_and_compare(path, received, tolerances, metrics)


def save_tolerances(expected: Expected, tolerances: Tolerances) -> str:
    """Keep the tolerances and regions beside the golden (its sidecar); returns the sidecar's path."""
    return write_sidecar(expected.path, tolerances)


def describe_region(region: Region) -> str:
    return f"{region.width}x{region.height} at {region.x},{region.y}"


def region_from_corners(first: tuple[int, int], second: tuple[int, int]) -> Region:
    """The rectangle of pixels from one corner pixel to the other, both included."""
    left, right = sorted((first[0], second[0]))
    top, bottom = sorted((first[1], second[1]))
    return Region(left, top, right - left + 1, bottom - top + 1)


@dataclass(frozen=True)
class BatchDone:
    """A folder comparison finished: the counts and the report's index.html."""

    passed: int
    failed: int
    index: str


def run_folders(actual_folder: str, expected_folder: str, report_folder: str, metrics: bool,
                progress: Progress | None = None) -> BatchDone:
    """Compare two folders pair by pair (each golden under its sidecar's tolerances), then write the
    report; progress hears the fraction of pairs done."""
    from ...golden.batch import pair_names, run_batch
    from ...golden.report import write_report
    total = max(1, len(pair_names(actual_folder, expected_folder)))
    pairs = []
    for pair in run_batch(actual_folder, expected_folder, lambda sidecar: sidecar or Tolerances(), metrics=metrics):
        pairs.append(pair)
        if progress is not None:
            progress(len(pairs) / total)
    if not pairs:
        raise ImageError(f"neither {actual_folder} nor {expected_folder} holds any image file")
    index = write_report(report_folder, pairs, actual_folder, expected_folder)
    failed = sum(not p.passed for p in pairs)
    return BatchDone(len(pairs) - failed, failed, index)
