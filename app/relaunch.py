"""How to start this same program again as a child process: the frozen binary itself, or the Python
running now with `-m imgshare` (a script's or a notebook kernel's interpreter, which imports it)."""

from __future__ import annotations

import sys


def this_program() -> list[str]:
    """The command that starts imgshare as a child process of this one."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "imgshare"]
