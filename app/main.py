"""Entry point: no arguments opens the window; a command runs the command-line tool."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .frozen import prepare
    prepare()  # usable streams, crash logging, frozen-launcher handling: before anything else
    args = sys.argv[1:] if argv is None else argv
    from .cli import run
    return run(args if args else ["gui"])


if __name__ == "__main__":
    sys.exit(main())
