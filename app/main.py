"""Entry point: no arguments opens the window; a command runs the command-line tool."""

from __future__ import annotations

import sys

from . import lifecycle


def main(argv: list[str] | None = None) -> int:
    """Run imgshare; a Ctrl+C at any moment, even while it is still loading, stops it quietly (130)."""
    restore = lifecycle.stop_at_once_on_ctrl_c()
    try:
        from .frozen import prepare
        prepare()  # usable streams, crash logging, frozen-launcher handling: before anything else
        args = sys.argv[1:] if argv is None else argv
        from .cli import run
    finally:
        restore()  # from here on the command handles Ctrl+C (KeyboardInterrupt, or its own handler)
    try:
        return run(args)  # no arguments, image files or --key alone: the window (cli/routing.py)
    except KeyboardInterrupt:  # outside the command's own handling (its argument parsing, say)
        return lifecycle.interrupted()
