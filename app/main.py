"""Entry point: no arguments opens the window; a command runs the command-line tool."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # what a shell reports for a program stopped by Ctrl+C (128 + SIGINT)


def main(argv: list[str] | None = None) -> int:
    """Run imgshare; a Ctrl+C at any moment, even while it is still loading, stops it quietly (130)."""
    try:
        from .frozen import prepare
        prepare()  # usable streams, crash logging, frozen-launcher handling: before anything else
        args = sys.argv[1:] if argv is None else argv
        from .cli import run
        return run(args if args else ["gui"])
    except KeyboardInterrupt:  # before the command's own handling took over, or after it ended
        return interrupted()


def interrupted() -> int:
    """The one line and the exit code of a run stopped by Ctrl+C outside a command's own handling."""
    try:
        print("imgshare: interrupted", file=sys.stderr)
    except (OSError, ValueError, KeyboardInterrupt):  # no usable stderr, or a second Ctrl+C
        pass
    return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
