"""Golden-image checks: compare an actual image with an expected one under tolerances (pixelmatch's
threshold and anti-aliasing, pixel limits, ignore regions and masks, deep-mode tolerances), with PSNR,
SSIM and a picture of the differences. No Tk here: the CLI, the window and the pytest plugin use it.

    import imgshare
    result = imgshare.compare("shot.png", "golden/home.png", threshold=0.1, max_diff_pixels=20)
    assert result.passed, result.summary()

Needs numpy (`pip install 'imgshare[numpy]'`; the standalone executable has it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..image16 import MODES as WIDE_MODES
from ..image16 import Image16
from ..imaging import load_image
from ..ipc.errors import ImageError
from ..ipc.pillowmodes import to_carried
from .tolerances import EXACT, Region, ToleranceError, Tolerances

__all__ = ["CompareResult", "Region", "ToleranceError", "Tolerances", "Verdict", "compare", "compare_images",
           "load_pair", "load_side"]

Side = Image.Image | Image16 | str | os.PathLike[str] | Any  # a Pillow image, an Image16, a path, or a numpy array
Picture = Image.Image | Image16  # a side loaded: 16-bit colour as Image16 (Pillow has no such mode)


def _numpy_needed() -> ImageError:
    return ImageError("comparing images needs numpy, which is not installed; "
                      "install it with: pip install 'imgshare[numpy]'")


if TYPE_CHECKING:
    from .engine import Progress
    from .result import CompareResult, Verdict


def __getattr__(name: str) -> Any:
    """CompareResult and Verdict, loaded on first use: importing this package stays cheap (the CLI
    imports the tolerances at every start) and works without numpy."""
    if name in ("CompareResult", "Verdict"):
        from . import result
        return getattr(result, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compare_images(actual: Picture, expected: Picture, tolerances: Tolerances = EXACT, *,
                   metrics: bool = False, progress: Progress | None = None) -> CompareResult:
    """Compare two images already in carried modes (engine.compare_images), with numpy's absence said
    in one sentence."""
    try:
        from . import engine
    except ModuleNotFoundError as missing:  # numpy is optional for the channel, needed here
        if missing.name != "numpy":
            raise
        raise _numpy_needed() from None
    return engine.compare_images(actual, expected, tolerances, metrics=metrics, progress=progress)


def load_side(side: Side, what: str = "image") -> Picture:
    """A Pillow image in a carried mode from an image, a numpy array or a path (read as a sender
    would share it: a CMYK JPEG as RGB, and so on; 16-bit colour exactly, as Image16). ImageError with
    one sentence if it cannot be."""
    if isinstance(side, Image16):
        return side
    if isinstance(side, Image.Image):
        return to_carried(side)[0]
    if isinstance(side, (str, os.PathLike)):
        loaded = load_image(side)
        return loaded if isinstance(loaded, Image16) else to_carried(loaded)[0]
    from ..ipc import arrays
    if arrays.is_array(side):
        plan = arrays.plan_for(side, None)
        np = arrays.numpy()
        if plan.mode in WIDE_MODES:
            return Image16(plan.mode, (plan.width, plan.height), np.ascontiguousarray(side, dtype="<u2").tobytes())
        image = Image.fromarray(np.ascontiguousarray(side))
        if image.mode != plan.mode:
            image = image.convert(plan.mode)
        return image
    raise ImageError(f"the {what} must be a Pillow image, a numpy array or a path, not {type(side).__name__}")


def load_pair(actual: Side, expected: Side) -> tuple[Picture, Picture]:
    """Both sides loaded at once: decoding two PNGs is most of a compare's time, and Pillow's decoders
    let go of Python's lock, so the second decodes on another core."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(load_side, expected, "expected image")
        first = load_side(actual, "actual image")
        return first, later.result()


def compare(actual: Side, expected: Side, *, threshold: float = 0, antialiasing: bool = False,
            max_diff_pixels: int = 0, max_diff_ratio: float = 0, tolerance: float = 0,
            ignore: Iterable[Region | tuple[int, int, int, int] | str] = (),
            mask: str | os.PathLike[str] | None = None, metrics: bool = False,
            progress: Callable[[float], None] | None = None) -> CompareResult:
    """Compare actual with expected; each a Pillow image, a numpy array or a path.

    threshold (0..1) compares colours with pixelmatch's measure; antialiasing also leaves out what its
    anti-aliasing detection finds; max_diff_pixels / max_diff_ratio let that many pixels (or that
    fraction) differ and still pass; tolerance is the largest absolute difference of I;16, I and F
    values that is still equal; ignore lists regions (x, y, w, h) and mask names a file whose non-zero
    pixels are left out; metrics adds PSNR and SSIM. Raises ImageError (or ToleranceError) with one
    sentence for an unreadable side or a tolerance out of range.
    """
    regions = tuple(_region(r) for r in ignore)
    tolerances = Tolerances(threshold=threshold, antialiasing=antialiasing, max_diff_pixels=max_diff_pixels,
                            max_diff_ratio=max_diff_ratio, deep_tolerance=tolerance, ignore=regions,
                            mask=os.fspath(mask) if mask is not None else None)
    return compare_images(*load_pair(actual, expected), tolerances, metrics=metrics, progress=progress)


def _region(region: Region | tuple[int, int, int, int] | str) -> Region:
    if isinstance(region, Region):
        return region
    if isinstance(region, str):
        return Region.parse(region)
    try:
        x, y, w, h = (int(v) for v in region)
    except (TypeError, ValueError):
        raise ToleranceError(f"an ignore region is (x, y, width, height), not {region!r}") from None
    return Region.checked(x, y, w, h)
