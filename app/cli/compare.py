"""`imgshare compare`: is the shared image pixel-exact to an expected file? Exit 0 when it is, DIFFERS
when it is not (pixels, size, mode or palette), the summary on standard output (--json for machines)."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

from ..compare import compare, load_expected
from ..exit_codes import DIFFERS, OK
from ..ipc import ChannelKind, NotSharedError, WaitTimeoutError, open_receiver
from ..ipc.defaults import DEFAULT_LOCK_TIMEOUT

HELP = "compare the shared image with an image file: exit 0 when pixel-exact, 8 when it differs"
EPILOG = (f"exit codes: 0 pixel-exact; {DIFFERS} differs (pixels, size, mode or palette); "
          "otherwise those of every verb (imgshare --help)")


def add_compare_arguments(p: argparse.ArgumentParser, qt_option: Callable[[argparse.ArgumentParser], None],
                          seconds: Callable[[str], float]) -> None:
    """The compare verb's options, on the subparser the verb table made for it."""
    p.epilog = EPILOG
    p.add_argument("expected", metavar="EXPECTED", help="the image file the shared image should equal")
    qt_option(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--wait", type=seconds, default=0.0, help="seconds to wait for an image to appear")
    p.add_argument("--timeout", type=seconds, default=DEFAULT_LOCK_TIMEOUT,
                   help="seconds to wait for a busy lock")
    p.add_argument("--diff", metavar="OUT",
                   help="when pixels differ, write a mask of them (white where they differ) to OUT")


def cmd_compare(args: argparse.Namespace) -> int:
    expected = load_expected(args.expected)  # a bad file fails before anything is attached
    try:
        with open_receiver(args.key, ChannelKind.of(args.qt)) as receiver:
            image, info = receiver.receive(timeout=args.timeout, wait=args.wait)
    except NotSharedError:
        if args.wait > 0:
            raise WaitTimeoutError(
                f"nothing was shared under the key {args.key!r} within {args.wait:g} s") from None
        raise
    result, mask = compare(image, expected)
    if args.diff and mask is not None:
        from ..imaging import save_image
        save_image(mask, args.diff)
    name = os.path.basename(args.expected)
    if args.json:
        print(json.dumps({**result.as_dict(), "key": args.key, "sequence": info.sequence,
                          "expected_file": args.expected,
                          "diff_file": args.diff if args.diff and mask is not None else None},
                         indent=2, sort_keys=True))
    else:
        print(f"{result.summary()} (key {args.key!r}, sequence {info.sequence}, expected {name})")
    return OK if result.exact else DIFFERS
