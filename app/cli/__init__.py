"""The command-line face of imgshare: argparse verbs that call imgshare.ipc, one line out, exit codes."""

from __future__ import annotations

import argparse
import sys
import warnings

from PIL import Image

from ..exit_codes import ERROR, INTERRUPTED, OK, USAGE, exit_code_for
from ..ipc import AccessDeniedError, ChannelKind, ImgShareError
from ..lifecycle import Stopped, signal_name
from .owners import someone_elses
from .parser import build_parser
from .routing import route
from .verbs import COMMANDS

__all__ = ["build_parser", "run"]


def run(argv: list[str]) -> int:
    """Run one command line; returns the exit code. Errors print one line, never a traceback."""
    # imgshare checks image sizes itself (imaging.MAX_PIXELS); Pillow's own warning would only add a
    # second, technical line. Set here, for this program's process: the library never touches it.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    parser = build_parser()
    args = parser.parse_args(route(argv, COMMANDS))
    if args.verb is None:
        parser.print_help()
        return USAGE
    try:
        return COMMANDS[args.verb](args)
    except ImgShareError as exc:
        print(f"imgshare: error: {_sentence(exc, args)}", file=sys.stderr)
        return exit_code_for(exc)
    except Stopped as stopped:
        print(f"imgshare: interrupted ({signal_name(stopped.signum)}); {stopped.outcome}", file=sys.stderr)
        return stopped.exit_code
    except KeyboardInterrupt:
        print("imgshare: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return OK
    except Exception as exc:  # an internal error: one line here, the traceback in the log file
        from ..crashlog import write_crash_log
        path = write_crash_log(exc)
        print(f"imgshare: error: internal error ({type(exc).__name__}: {exc}); details in {path}",
              file=sys.stderr)
        return ERROR


def _sentence(exc: ImgShareError, args: argparse.Namespace) -> str:
    """The error's sentence; for another user's share, whose it is and what can be done."""
    key = getattr(args, "key", None)
    if isinstance(exc, AccessDeniedError) and isinstance(key, str):
        owner = someone_elses(key, ChannelKind.of(bool(getattr(args, "qt", False))))
        if owner is not None:
            return (f"permission denied: the share under the key {key!r} belongs to user {owner}, and "
                    f"only {owner} can read, replace or remove it; choose another key with --key, or ask "
                    f"{owner} to share it")
    return str(exc)
