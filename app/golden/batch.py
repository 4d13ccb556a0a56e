"""Compare a folder of actual images with a folder of expected ones, pairing files by name (in
sub-folders too). A file on one side only fails; so does one that cannot be read. No Tk here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image

from ..ipc.errors import ImgShareError
from . import compare_images, load_pair
from .result import CompareResult
from .sidecar import SUFFIX, read_sidecar
from .tolerances import Tolerances

TolerancesFor = Callable[[Tolerances | None], Tolerances]  # the sidecar's (if any) -> those to use


@dataclass(frozen=True)
class PairResult:
    """One pair of a batch: its name (the path relative to both folders), the two paths (None when
    missing), and either the comparison or why there is none."""

    name: str
    actual_path: str | None
    expected_path: str | None
    result: CompareResult | None = None
    problem: str = ""  # why there is no result: a missing side, an unreadable file

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

    def summary(self) -> str:
        return self.result.summary() if self.result is not None else f"fails: {self.problem}"


def _images(folder: str) -> dict[str, str]:
    Image.init()
    known = Image.registered_extensions()
    found: dict[str, str] = {}
    for parent, folders, files in os.walk(folder):
        folders.sort()
        for name in files:
            if name.endswith(SUFFIX) or os.path.splitext(name)[1].lower() not in known:
                continue
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder)] = path
    return found


def pair_names(actual_folder: str, expected_folder: str) -> list[tuple[str, str | None, str | None]]:
    """(name, actual path, expected path) for every image file in either folder, by name."""
    actual, expected = _images(actual_folder), _images(expected_folder)
    return [(name, actual.get(name), expected.get(name)) for name in sorted(set(actual) | set(expected))]


def run_batch(actual_folder: str, expected_folder: str, tolerances_for: TolerancesFor, *,
              metrics: bool = False) -> Iterator[PairResult]:
    """Each pair's result, in name order, as it is done."""
    for name, actual_path, expected_path in pair_names(actual_folder, expected_folder):
        if expected_path is None:
            yield PairResult(name, actual_path, None, problem=f"no expected image {name} in {expected_folder}")
            continue
        if actual_path is None:
            yield PairResult(name, None, expected_path, problem=f"no actual image {name} in {actual_folder}")
            continue
        try:
            tolerances = tolerances_for(read_sidecar(expected_path))
            result = compare_images(*load_pair(actual_path, expected_path), tolerances, metrics=metrics)
        except ImgShareError as exc:
            yield PairResult(name, actual_path, expected_path, problem=str(exc))
            continue
        yield PairResult(name, actual_path, expected_path, result)
