"""`imgshare compare --batch ACTUAL_DIR EXPECTED_DIR [--report OUT]`: one line per pair as it is done,
then a line of totals; exit 0 when every pair passes, 8 otherwise."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

from ..exit_codes import DIFFERS, OK, UsageError
from ..golden.batch import PairResult, run_batch
from ..golden.tolerances import Tolerances


def run_batch_command(args: argparse.Namespace, tolerances_for: Callable[[Tolerances | None], Tolerances]) -> int:
    actual_folder, expected_folder = args.batch
    for folder in (actual_folder, expected_folder):
        if not os.path.isdir(folder):
            raise UsageError(f"--batch takes two folders, and {folder} is not one")
    if args.until_match or args.diff:
        raise UsageError("--until-match and --diff compare one image; with --batch, --report writes every picture")
    pairs: list[PairResult] = []
    for pair in run_batch(actual_folder, expected_folder, tolerances_for, metrics=args.metrics):
        pairs.append(pair)
        if not args.json:
            print(f"{'PASS' if pair.passed else 'FAIL'} {pair.name}: {pair.summary()}", flush=True)
    failed = sum(not p.passed for p in pairs)
    index = None
    if args.report:
        from ..golden.report import write_report
        index = write_report(args.report, pairs, actual_folder, expected_folder)
    if args.json:
        print(json.dumps({"passed": len(pairs) - failed, "failed": failed, "report": index,
                          "pairs": [{"name": p.name, "passed": p.passed, "summary": p.summary(),
                                     **(p.result.as_dict() if p.result else {})} for p in pairs]},
                         indent=2, sort_keys=True))
    else:
        tail = f"; report: {index}" if index else ""
        print(f"{failed} failed, {len(pairs) - failed} passed of {len(pairs)} pairs{tail}")
    return OK if failed == 0 and pairs else DIFFERS
