"""What a command line means before the parser sees it: no arguments, image files, or only --key open
the window (as a desktop's "Open With" runs `imgshare %F`), and which command lines open a window at
all (scripts/run starts a virtual display only for those)."""

from __future__ import annotations

import os
from collections.abc import Collection

# Verbs that open a Tk window (self-test checks one when there is a display).
WINDOW_VERBS = frozenset({"gui", "self-test"})
_TOP_LEVEL = frozenset({"-h", "--help", "--version"})


def _looks_like_a_file(argument: str) -> bool:
    """A path a desktop or a user would hand over: one that exists, or that has a folder or an
    extension in it (a mistyped verb such as 'recieve' is neither, and stays an error)."""
    if argument.startswith("-"):
        return False
    return os.path.exists(argument) or os.sep in argument or bool(os.path.splitext(argument)[1])


def route(argv: list[str], verbs: Collection[str]) -> list[str]:
    """argv as the parser takes it. A verb's command line, or --help / --version, is as given; no
    arguments is `gui`; image files and --key KEY with no verb are `gui [--key KEY] FILE...` (the
    window opens sharing the first file that loads, on that key)."""
    if not argv:
        return ["gui"]
    if argv[0] in verbs or argv[0] in _TOP_LEVEL:
        return argv
    rest, files, key = list(argv), [], []
    while rest:
        argument = rest.pop(0)
        if argument == "--key":
            key = ["--key", *rest[:1]]  # without a value the parser says so
            rest = rest[1:]
        elif argument.startswith("--key="):
            key = ["--key", argument.split("=", 1)[1]]
        elif argument == "--":
            files.extend(rest)
            rest = []
        elif _looks_like_a_file(argument):
            files.append(argument)
        else:
            return argv  # not ours: the parser says what is wrong with it
    return ["gui", *key, *files]


def opens_window(argv: list[str], verbs: Collection[str]) -> bool:
    """Whether this command line opens a window (so needs a display)."""
    routed = route(argv, verbs)
    return bool(routed) and routed[0] in WINDOW_VERBS
