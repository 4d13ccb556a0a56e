"""Tolerances kept beside a golden image: `home.png` may have `home.imgshare.json` with its threshold,
limits and ignore regions. The CLI, the window and the pytest plugin all read it; the window writes it.

    {"threshold": 0.1, "antialiasing": true, "max_diff_pixels": 20, "max_diff_ratio": 0,
     "tolerance": 0, "ignore": [[0, 0, 120, 24]], "mask": "home.mask.png"}

Every field is optional; a mask path is relative to the sidecar's folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from ..ipc.errors import ImageError
from .tolerances import Region, ToleranceError, Tolerances

SUFFIX = ".imgshare.json"
_FIELDS = {"threshold", "antialiasing", "max_diff_pixels", "max_diff_ratio", "tolerance", "ignore", "mask"}


class SidecarError(ImageError):
    """A sidecar file that cannot be read or makes no sense: one sentence naming it."""


def sidecar_path(expected: str | os.PathLike[str]) -> str:
    """Where the sidecar of the golden image `expected` lives (its name with .imgshare.json)."""
    stem = os.path.splitext(os.fspath(expected))[0]
    return stem + SUFFIX


def read_sidecar(expected: str | os.PathLike[str]) -> Tolerances | None:
    """The tolerances beside expected, or None when it has no sidecar."""
    path = sidecar_path(expected)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SidecarError(f"{path} is not valid JSON ({exc})") from None
    return _tolerances(data, path)


def _tolerances(data: Any, path: str) -> Tolerances:
    if not isinstance(data, dict):
        raise SidecarError(f"{path} must hold a JSON object of tolerances")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise SidecarError(f"{path} has unknown fields ({', '.join(unknown)}); known: {', '.join(sorted(_FIELDS))}")
    try:
        regions = tuple(Region.checked(*_four(item)) for item in data.get("ignore", []))
        mask = data.get("mask")
        if mask is not None and not isinstance(mask, str):
            raise ToleranceError("mask must be a file name")
        if mask is not None and not os.path.isabs(mask):
            mask = os.path.join(os.path.dirname(path), mask)
        return Tolerances(threshold=data.get("threshold", 0.0), antialiasing=bool(data.get("antialiasing", False)),
                          max_diff_pixels=data.get("max_diff_pixels", 0),
                          max_diff_ratio=data.get("max_diff_ratio", 0.0),
                          deep_tolerance=data.get("tolerance", 0.0), ignore=regions, mask=mask)
    except ToleranceError as exc:
        raise SidecarError(f"{path}: {exc}") from None


def _four(item: Any) -> tuple[int, int, int, int]:
    if not (isinstance(item, list) and len(item) == 4 and all(isinstance(v, int) for v in item)):
        raise ToleranceError(f"each ignore region is [x, y, width, height], not {json.dumps(item)}")
    return item[0], item[1], item[2], item[3]


def write_sidecar(expected: str | os.PathLike[str], tolerances: Tolerances) -> str:
    """Write the tolerances beside expected (fields at their defaults left out); returns the path."""
    path = sidecar_path(expected)
    data: dict[str, Any] = {}
    if tolerances.threshold:
        data["threshold"] = tolerances.threshold
    if tolerances.antialiasing:
        data["antialiasing"] = True
    if tolerances.max_diff_pixels:
        data["max_diff_pixels"] = tolerances.max_diff_pixels
    if tolerances.max_diff_ratio:
        data["max_diff_ratio"] = tolerances.max_diff_ratio
    if tolerances.deep_tolerance:
        data["tolerance"] = tolerances.deep_tolerance
    if tolerances.ignore:
        data["ignore"] = [r.as_list() for r in tolerances.ignore]
    if tolerances.mask:
        data["mask"] = os.path.relpath(tolerances.mask, os.path.dirname(os.path.abspath(path)))
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    except OSError as exc:
        raise SidecarError(f"cannot write {path}: {exc.strerror}") from None
    return path


def merged(sidecar: Tolerances | None, **given: Any) -> Tolerances:
    """The sidecar's tolerances with those given (not None) in their place; ignore regions add up."""
    base = sidecar or Tolerances()
    regions = tuple(given.pop("ignore", None) or ())
    chosen = {name: value for name, value in given.items() if value is not None}
    return replace(base, ignore=base.ignore + regions, **chosen)
