"""The command-line face of imgshare: argparse verbs that call imgshare.ipc, one line out, exit codes."""

from __future__ import annotations

import sys

from ..exit_codes import OK, USAGE, exit_code_for
from ..ipc import ImgShareError
from .parser import build_parser
from .verbs import COMMANDS

__all__ = ["build_parser", "run"]


def run(argv: list[str]) -> int:
    """Run one command line; returns the exit code. Errors print one line, never a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return USAGE
    try:
        return COMMANDS[args.verb](args)
    except ImgShareError as exc:
        print(f"imgshare: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("imgshare: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return OK
    except Exception as exc:  # an internal error: one line here, the traceback in the log file
        from ..crashlog import write_crash_log
        path = write_crash_log(exc)
        print(f"imgshare: error: internal error ({type(exc).__name__}: {exc}); details in {path}",
              file=sys.stderr)
        return 1
