"""The command line's grammar: verbs, options, and usage errors in imgshare's one-line form."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from .. import __version__
from ..exit_codes import DESCRIPTIONS, USAGE
from ..ipc import DEFAULT_KEY, DEFAULT_LOCK_TIMEOUT, ImgShareError, validate_key


def _key_arg(text: str) -> str:
    try:
        validate_key(text)
    except ImgShareError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("seconds must be between 0 and 86400")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of frames a second") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError("frames a second must be more than 0 and at most 1000")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, with every usage error in the same `imgshare: error: ...` form as the others."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"imgshare: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in DESCRIPTIONS.items())
    parser = _Parser(
        prog="imgshare", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
        usage="imgshare [-h] [--version] COMMAND ...\n       imgshare [--key KEY] [IMAGE ...]   (the window)",
        description="Hand an image from one process to another through System V shared memory. "
                    "With no command, opens the window: `imgshare [--key KEY] [IMAGE...]` opens it sharing "
                    "the first image that loads, on that key (as a desktop's Open With runs it).")
    parser.add_argument("--version", action="version", version=f"imgshare {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser, prog="imgshare")

    def verb(name: str, help_text: str, key: bool = True) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text, description=help_text)
        if key:
            p.add_argument("--key", type=_key_arg, default=DEFAULT_KEY,
                           help=f"the key string (default {DEFAULT_KEY!r}, the Qt demo's)")
        return p

    def qt_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--qt", action="store_true",
                       help="talk to Qt programs (QSharedMemory + QDataStream << QImage); see docs/qt.md")

    def timeout_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--timeout", type=_seconds, default=DEFAULT_LOCK_TIMEOUT,
                       help=f"seconds to wait for a busy key (default {DEFAULT_LOCK_TIMEOUT:g})")

    p = verb("send", "share an image file and keep serving it until interrupted")
    p.add_argument("file", help="the image file (a regular file), - to read it from standard input, or a "
                                "FOLDER/ of images to play in name order")
    qt_option(p)
    p.add_argument("--persist", action="store_true",
                   help="leave the share in place and exit at once (a later sender may replace it)")
    p.add_argument("--watch", action="store_true",
                   help="share the file again each time it changes on disk (once it decodes)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say on standard error when loading starts")
    p.add_argument("--fps", type=_rate, metavar="N",
                   help="with a FOLDER/: play N images a second (default: at the times receive --follow "
                        "recorded)")
    p.add_argument("--loop", action="store_true", help="with a FOLDER/: play it again and again (default: once)")
    timeout_option(p)

    p = verb("receive", "write the shared image to a file, or print its metadata")
    qt_option(p)
    p.add_argument("-o", "--output", metavar="OUT",
                   help="file to write (format from its extension; a format that cannot keep the image "
                        "exactly warns, one that would lose its values is refused), a folder (ending in /) "
                        "to write into under the source's name, or - for standard output (PNG); with "
                        "--follow, a folder (made when the first image arrives) or -")
    p.add_argument("--format", metavar="FMT",
                   help="with -o - or -o FOLDER/: the format to write (png, tif, jpg, gif, bmp, webp...)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--follow", action="store_true",
                   help="keep receiving each new image (into OUT/NNNNNN.png, its time recorded in "
                        "OUT/imgshare-frames.jsonl for send OUT/) until interrupted")
    p.add_argument("--count", type=int, metavar="N", help="with --follow: stop after N images")
    p.add_argument("--wait", type=_seconds, default=0.0,
                   help="seconds to wait for an image to appear (with --follow: for the first one)")
    timeout_option(p)
    p.add_argument("--no-verify", action="store_true", help="skip the payload checksum")
    p.add_argument("--json", action="store_true",
                   help="print the metadata as JSON (with --follow: one JSON object a line)")

    p = verb("info", "print what is shared under a key, without reading the pixels")
    qt_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    timeout_option(p)

    p = verb("key", "print the System V key of a key string", key=False)
    p.add_argument("key_string", metavar="KEY", type=_key_arg)

    p = verb("remove", "remove the imgshare share under a key (never another program's segment)")
    p.add_argument("--force", action="store_true",
                   help="remove it even if its sender is running (a running sender shares again on its "
                        "next image; stop the sender to stop it for good)")
    timeout_option(p)

    p = verb("list", "list your imgshare shares (with --qt: Qt programs' shares); other users' are not "
                     "listed", key=False)
    qt_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = verb("clean", "remove stale shares (sender dead, not persisted, nobody attached)", key=False)
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")

    p = verb("gui", "open the window", key=False)
    p.add_argument("files", nargs="*", metavar="IMAGE",
                   help="image files: the first that opens is shared on the Sender tab")
    p.add_argument("--key", type=_key_arg, default=DEFAULT_KEY, help="the key for both tabs")
    p.add_argument("--send", metavar="FILE", help="open and share this file on the Sender tab")
    p.add_argument("--receive", action="store_true", help="open on the Receiver tab and receive")
    p.add_argument("--follow", action="store_true",
                   help="with --receive: follow the key, showing each new image as it is shared")

    from .compare import HELP, add_compare_arguments
    add_compare_arguments(verb("compare", HELP), qt_option, _seconds)

    from .bridge import HELP as BRIDGE_HELP
    from .bridge import add_bridge_arguments
    add_bridge_arguments(verb("bridge", BRIDGE_HELP, key=False), _key_arg)

    p = verb("self-test", "check this build: every mode through a real segment, Tk and Pillow; the window "
                          "too when there is a display", key=False)
    p.add_argument("--require-display", action="store_true",
                   help="fail when there is no display to check the window on (for CI and release checks)")
    return parser
