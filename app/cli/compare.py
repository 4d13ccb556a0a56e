"""`imgshare compare [ACTUAL] EXPECTED`: does an image (a file, or the one shared under --key) match a
golden one within tolerances? Exit 0 when it passes, DIFFERS (8) when it does not; the summary on
standard output (--json for machines). Also --batch over two folders with a report, and
--until-match to wait for the shared image to match."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..exit_codes import DIFFERS, OK, UsageError
from ..golden import Region, ToleranceError, Tolerances, compare_images, load_pair, load_side
from ..golden.sidecar import merged, read_sidecar
from ..ipc import ChannelKind, NotSharedError, WaitTimeoutError, open_receiver
from ..ipc.defaults import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    from PIL import Image

    from ..golden.result import CompareResult
    from ..image16 import Image16
    from ..ipc.info import ShareInfo

HELP = "compare an image (a file, or the shared one) with an expected image: exit 0 when it passes, 8 when not"
EPILOG = (f"exit codes: 0 passes (pixel-exact, or within the tolerances); {DIFFERS} differs (pixels, size, "
          "mode, palette or transparency); otherwise those of every verb (imgshare --help). Tolerances "
          "and ignore regions may also sit beside EXPECTED in EXPECTED.imgshare.json; options given here win.")


def _number(what: str, kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number of kind between low and high, or one sentence saying what is wrong."""
    shown = "a whole number" if kind is int else "a number"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not {shown}") from None
        if not (math.isfinite(value) and low <= value <= high):
            bounds = f"between {low:g} and {high:g}" if high != float("inf") else f"{low:g} or more"
            raise argparse.ArgumentTypeError(f"{what} must be {bounds}, not {text}")
        return value
    return parse


_fraction = {"threshold": _number("the threshold", float, 0, 1), "ratio": _number("the ratio", float, 0, 1)}
_count = _number("the number of pixels", int, 0, float("inf"))
_tolerance = _number("the tolerance", float, 0, float("inf"))


def _region(text: str) -> Region:
    try:
        return Region.parse(text)
    except ToleranceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_compare_arguments(p: argparse.ArgumentParser, qt_option: Callable[[argparse.ArgumentParser], None],
                          seconds: Callable[[str], float]) -> None:
    """The compare verb's options, on the subparser the verb table made for it."""
    p.epilog = EPILOG
    p.usage = ("imgshare compare [-h] [ACTUAL] EXPECTED [options]\n"
               "       imgshare compare --batch ACTUAL_DIR EXPECTED_DIR --report OUT [options]")
    p.add_argument("files", nargs="*", metavar="[ACTUAL] EXPECTED",
                   help="the expected image file, after the actual one; without ACTUAL, the image shared "
                        "under --key is compared")
    qt_option(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--wait", type=seconds, default=0.0,
                   help="seconds to wait for an image to appear (with --until-match: for a match)")
    p.add_argument("--timeout", type=seconds, default=DEFAULT_LOCK_TIMEOUT,
                   help="seconds to wait for a busy lock")
    g = p.add_argument_group("tolerances (default: pixel-exact)")
    g.add_argument("--threshold", type=_fraction["threshold"], metavar="T",
                   help="0..1: a pixel differs when its colour distance exceeds T (pixelmatch's YIQ "
                        "measure, colours blended over white; pixelmatch's default is 0.1)")
    g.add_argument("--aa", action="store_true", default=None,
                   help="also ignore pixels that pixelmatch's anti-aliasing detection finds")
    g.add_argument("--max-diff-pixels", type=_count, metavar="N", help="pass while at most N pixels differ")
    g.add_argument("--max-diff-ratio", type=_fraction["ratio"], metavar="R",
                   help="pass while at most the fraction R (0..1) of all pixels differ")
    g.add_argument("--tolerance", type=_tolerance, metavar="V",
                   help="I;16, I and F images: values within V (in the mode's own units) are equal")
    g.add_argument("--ignore", type=_region, action="append", metavar="X,Y,W,H",
                   help="leave out this rectangle (repeatable)")
    g.add_argument("--mask", metavar="FILE", help="leave out the pixels that are not black in FILE")
    g.add_argument("--no-sidecar", action="store_true",
                   help="do not read the tolerances beside EXPECTED (EXPECTED.imgshare.json)")
    o = p.add_argument_group("results")
    o.add_argument("--metrics", action="store_true",
                   help="also measure PSNR (R, G, B) and SSIM (luma), for 8-bit images")
    o.add_argument("--diff", metavar="OUT",
                   help="write the expected image faded to grey with the differing pixels in red")
    o.add_argument("--force", action="store_true", help="overwrite an existing --diff file")
    o.add_argument("--batch", nargs=2, metavar=("ACTUAL_DIR", "EXPECTED_DIR"),
                   help="compare every image of ACTUAL_DIR with the one of the same name in EXPECTED_DIR")
    o.add_argument("--report", metavar="OUT",
                   help="with --batch: write OUT/index.html, OUT/report.json and OUT/junit.xml")
    o.add_argument("--until-match", action="store_true",
                   help="follow the share and exit 0 at the first image that passes; exit 8 with the "
                        "closest result when --wait S ends")


def tolerances_from(args: argparse.Namespace) -> Callable[[Tolerances | None], Tolerances]:
    """The command line's tolerances laid over a sidecar's (those given on the command line win)."""
    def choose(sidecar: Tolerances | None) -> Tolerances:
        return merged(None if args.no_sidecar else sidecar, threshold=args.threshold, antialiasing=args.aa,
                      max_diff_pixels=args.max_diff_pixels, max_diff_ratio=args.max_diff_ratio,
                      deep_tolerance=args.tolerance, ignore=tuple(args.ignore or ()), mask=args.mask)
    return choose


def cmd_compare(args: argparse.Namespace) -> int:
    if args.batch:
        if args.files:
            raise UsageError("--batch compares two folders: give no ACTUAL or EXPECTED file with it")
        from .compare_batch import run_batch_command
        return run_batch_command(args, tolerances_from(args))
    if args.report:
        raise UsageError("--report goes with --batch")
    if not args.files or len(args.files) > 2:
        raise UsageError("give EXPECTED, or ACTUAL and EXPECTED (two image files)")
    *actual_file, expected_file = args.files
    if args.until_match and actual_file:
        raise UsageError("--until-match follows the shared image: give only EXPECTED")
    diff = None
    if args.diff:  # checked before any work: a refusal costs nothing
        from .outputs import output_file
        diff = output_file(args.diff, force=args.force)
    sidecar = None if args.no_sidecar else read_sidecar(expected_file)
    tolerances = tolerances_from(args)(sidecar)
    facts: dict[str, object] = {"expected_file": expected_file}
    result: CompareResult
    if actual_file:
        facts["actual_file"] = actual_file[0]
        actual, expected = load_pair(actual_file[0], expected_file)
        result = compare_images(actual, expected, tolerances, metrics=args.metrics)
        return _report(args, result, facts, diff)
    expected = load_side(expected_file)  # a bad file fails before anything is attached
    if args.until_match:
        result, facts["key"], facts["sequence"] = _until_match(args, expected, tolerances)
    else:
        image, info = _receive(args)
        facts["key"], facts["sequence"] = args.key, info.sequence
        result = compare_images(image, expected, tolerances, metrics=args.metrics)
    return _report(args, result, facts, diff)


def _report(args: argparse.Namespace, result: CompareResult, facts: dict[str, object], diff: str | None) -> int:
    """Write the picture (if asked), print the result, and return the exit code."""
    expected_file = str(facts["expected_file"])
    written = _write_diff(result, diff) if diff else None
    if args.json:
        print(json.dumps({**result.as_dict(), **facts, "diff_file": written}, indent=2, sort_keys=True))
        if written:
            print(f"imgshare: wrote the difference picture {written}", file=sys.stderr)
    else:
        where = (f"{facts['actual_file']}" if "actual_file" in facts
                 else f"key {args.key!r}, sequence {facts['sequence']}")
        print(f"{result.summary()} ({where}, expected {os.path.basename(expected_file)})")
        if diff:
            print(f"wrote the difference picture {written}" if written else
                  "wrote no difference picture: the sizes differ")
    return OK if result.passed else DIFFERS


def _receive(args: argparse.Namespace) -> tuple[Image.Image | Image16, ShareInfo]:
    try:
        with open_receiver(args.key, ChannelKind.of(args.qt)) as receiver:
            return receiver.receive(timeout=args.timeout, wait=args.wait)
    except NotSharedError:
        if args.wait > 0:
            raise WaitTimeoutError(
                f"nothing was shared under the key {args.key!r} within {args.wait:g} s") from None
        raise


def _write_diff(result: CompareResult, path: str) -> str | None:
    from ..imaging import save_image
    picture = result.diff
    if picture is None:
        return None
    save_image(picture, path)
    return path


def _until_match(args: argparse.Namespace, expected: Image.Image | Image16,
                 tolerances: Tolerances) -> tuple[CompareResult, str, int]:
    """Follow the share until an image passes (returned at once) or --wait ends (the closest result:
    the fewest counted pixels)."""
    from ..following import follow
    from ..ipc import Receiver
    if args.qt:
        raise UsageError("--until-match is not available with --qt (Qt programs send no new-image signal)")
    if args.wait <= 0:
        raise UsageError("--until-match needs --wait S: how long to wait for a match")
    stop = threading.Event()
    timer = threading.Timer(args.wait, stop.set)
    timer.daemon = True
    closest: tuple[CompareResult, int] | None = None
    deadline = time.monotonic() + args.wait
    with Receiver(args.key) as receiver:
        timer.start()
        try:
            for event in follow(receiver, stop, lock_timeout=args.timeout):
                if event.received is None:
                    continue
                image, info = event.received
                result = compare_images(image, expected, tolerances, metrics=args.metrics)
                if result.passed:
                    return result, args.key, info.sequence
                if closest is None or _distance(result) < _distance(closest[0]):
                    closest = (result, info.sequence)
                if time.monotonic() >= deadline:
                    break
        finally:
            timer.cancel()
    if closest is None:
        raise WaitTimeoutError(f"nothing was shared under the key {args.key!r} within {args.wait:g} s")
    return closest[0], args.key, closest[1]


def _distance(result: CompareResult) -> tuple[int, int]:
    """Which of two failing results is closer to passing: a size or mode mismatch is furthest."""
    return (0 if result.mask is not None else 1), result.differing
