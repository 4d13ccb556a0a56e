"""The command-line face of imgshare: argparse verbs that call app.ipc, one line out, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from . import __version__
from .exit_codes import DESCRIPTIONS, NOT_SHARED, OK, USAGE, UsageError, exit_code_for
from .ipc import (DEFAULT_KEY, ImgShareError, NotSharedError, Receiver, Sender, WaitTimeoutError,
                  clean, list_shares, remove_share, sysv_key, validate_key)
from .ipc.info import ShareInfo


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


class _Parser(argparse.ArgumentParser):
    """argparse, with every usage error in the same `imgshare: error: ...` form as the others."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"imgshare: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in DESCRIPTIONS.items())
    parser = _Parser(
        prog="imgshare", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
        description="Hand an image from one process to another through System V shared memory. "
                    "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"imgshare {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)

    def verb(name: str, help_text: str, key: bool = True) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text, description=help_text)
        if key:
            p.add_argument("--key", type=_key_arg, default=DEFAULT_KEY,
                           help=f"the key string (default {DEFAULT_KEY!r}, the Qt demo's)")
        return p

    p = verb("send", "share an image file and keep serving it until interrupted")
    p.add_argument("file", help="the image file")
    p.add_argument("--persist", action="store_true",
                   help="leave the share in place and exit at once (a later sender may replace it)")
    p.add_argument("--watch", action="store_true",
                   help="share the file again each time it changes on disk (once it decodes)")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="seconds to wait for a busy lock")

    p = verb("receive", "write the shared image to a file, or print its metadata")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="file to write (format from its extension); with --follow, a folder")
    p.add_argument("--follow", action="store_true",
                   help="keep receiving each new image (into OUT/NNNNNN.png) until interrupted")
    p.add_argument("--count", type=int, metavar="N", help="with --follow: stop after N images")
    p.add_argument("--wait", type=_seconds, default=0.0, help="seconds to wait for an image to appear")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="seconds to wait for a busy lock")
    p.add_argument("--no-verify", action="store_true", help="skip the payload checksum")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")

    p = verb("info", "print what is shared under a key, without reading the pixels")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="seconds to wait for a busy lock")

    p = verb("key", "print the System V key of a key string", key=False)
    p.add_argument("key_string", metavar="KEY", type=_key_arg)

    p = verb("remove", "remove the imgshare share under a key (never another program's segment)")
    p.add_argument("--force", action="store_true", help="remove it even if its sender is running")
    p.add_argument("--timeout", type=_seconds, default=5.0, help="seconds to wait for a busy lock")

    p = verb("list", "list this user's imgshare shares", key=False)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = verb("clean", "remove stale shares (sender dead, not persisted, nobody attached)", key=False)
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")

    p = verb("gui", "open the window", key=False)
    p.add_argument("--key", type=_key_arg, default=DEFAULT_KEY, help="the key for both tabs")
    p.add_argument("--send", metavar="FILE", help="open and share this file on the Sender tab")
    p.add_argument("--receive", action="store_true", help="open on the Receiver tab and receive")
    p.add_argument("--follow", action="store_true",
                   help="with --receive: follow the key, showing each new image as it is shared")

    verb("self-test", "check this build: every mode through a real segment, Tk and Pillow", key=False)
    return parser


def _describe(info: ShareInfo) -> str:
    source = f" from {info.source_name}" if info.source_name else ""
    converted = f" (converted from {info.source_mode})" if info.converted else ""
    return (f"{info.width}x{info.height} {info.mode}{converted}{source}, sequence {info.sequence}, "
            f"sender pid {info.sender_pid} ({info.state}), {info.age:.1f} s old")


def _print_info(info: ShareInfo, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.as_dict(), indent=2, sort_keys=True))
        return
    rows = [("key", info.key), ("System V key", f"{info.sysv_key} ({info.sysv_key:#010x})"),
            ("size", f"{info.width}x{info.height}"), ("mode", info.mode),
            ("source mode", info.source_mode + (" (converted)" if info.converted else "")),
            ("source", info.source_name or "-"), ("sequence", info.sequence),
            ("sender pid", f"{info.sender_pid} ({info.state})"), ("age", f"{info.age:.1f} s"),
            ("payload", f"{info.payload_length} bytes, stride {info.stride}, {info.checksum}"),
            ("segment", f"id {info.segment_id}, {info.segment_size} bytes")]
    for name, value in rows:
        print(f"{name + ':':<14}{value}")


class _StopSignals:
    """Turns SIGINT, SIGTERM and SIGHUP into a flag, so a sender always gets to clean up."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self):
        self.stop = threading.Event()
        for sig in self.SIGNALS:
            signal.signal(sig, lambda signum, frame: self.stop.set())

    def wait(self) -> None:
        while not self.stop.wait(0.5):
            pass


def cmd_send(args) -> int:
    from .playback import Player, load_frames
    stop = _StopSignals()  # installed first: a signal at any moment from here on still cleans up
    if args.persist and args.watch:
        raise UsageError("--persist and --watch cannot be combined: watching needs a running sender")
    frames = load_frames(args.file)
    image = frames[0].image
    sender = Sender(args.key, lock_timeout=args.timeout)
    background = []
    try:
        sequence = sender.share(image, source_name=args.file)
        what = f"{os.path.basename(args.file)} ({image.width}x{image.height} {image.mode})"
        if args.persist:
            sender.close(persist=True)
            print(f"shared {what} under key {args.key!r}, sequence {sequence}; left in place (persisted)",
                  flush=True)
            return OK
        extra = f", playing {len(frames)} frames" if len(frames) > 1 else ""
        extra += ", watching for changes" if args.watch else ""
        print(f"shared {what} under key {args.key!r}, sequence {sequence}{extra}; serving until "
              "interrupted (Ctrl+C)", flush=True)
        failures: list[ImgShareError] = []

        def failed(exc):
            failures.append(exc)
            stop.stop.set()

        if len(frames) > 1:
            background.append(Player(sender, frames, args.file, on_error=failed).start())
        if args.watch:
            from .watching import FileWatcher

            def reshare(new_image):
                try:
                    seq = sender.share(new_image, source_name=args.file)
                except ImgShareError as exc:
                    print(f"imgshare: warning: {exc}", file=sys.stderr, flush=True)
                    return
                print(f"shared {os.path.basename(args.file)} again ({new_image.width}x{new_image.height} "
                      f"{new_image.mode}), sequence {seq}", flush=True)

            background.append(FileWatcher(args.file, reshare).start())
        stop.wait()
        if failures:
            raise failures[0]
        return OK
    finally:
        for task in background:
            task.stop()
        sender.close(persist=args.persist)


def cmd_receive(args) -> int:
    if args.follow:
        return _receive_following(args)
    if args.count is not None:
        raise UsageError("--count goes with --follow")
    receiver = Receiver(args.key)
    try:
        image, info = receiver.receive(timeout=args.timeout, wait=args.wait, verify=not args.no_verify)
    except NotSharedError:
        if args.wait > 0:
            raise WaitTimeoutError(
                f"nothing was shared under the key {args.key!r} within {args.wait:g} s") from None
        raise
    if args.output:
        from .imaging import save_image
        save_image(image, args.output)
        if args.json:
            _print_info(info, True)
        else:
            print(f"saved {args.output}: {_describe(info)}")
    else:
        _print_info(info, args.json)
    return OK


def _receive_following(args) -> int:
    from .following import follow
    from .imaging import LOSSLESS_PNG_MODES, save_image
    stop = _StopSignals()
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    folder = args.output
    if folder:
        os.makedirs(folder, exist_ok=True)
    received = 0
    with Receiver(args.key) as receiver:
        for event in follow(receiver, stop.stop, verify=not args.no_verify, lock_timeout=args.timeout):
            if event.kind == "gone":
                print(f"sender gone (pid {event.info.sender_pid}); waiting for a new sender", flush=True)
                continue
            if event.kind == "error":
                print(f"imgshare: warning: {event.error}", file=sys.stderr, flush=True)
                continue
            image, info = event.received
            line = _describe(info)
            if folder:
                ext = ".png" if image.mode in LOSSLESS_PNG_MODES else ".tif"
                path = os.path.join(folder, f"{info.sequence:06d}{ext}")
                save_image(image, path)
                line = f"{path}: {line}"
            print(line, flush=True)
            received += 1
            if args.count is not None and received >= args.count:
                break
    return OK


def cmd_info(args) -> int:
    _print_info(Receiver(args.key).info(timeout=args.timeout), args.json)
    return OK


def cmd_key(args) -> int:
    value = sysv_key(args.key_string)
    print(f"{value} {value:#010x}")
    return OK


def cmd_remove(args) -> int:
    info = remove_share(args.key, force=args.force, timeout=args.timeout)
    detail = f" ({info.width}x{info.height} {info.mode}, sender pid {info.sender_pid})" if info else ""
    print(f"removed the share under key {args.key!r}{detail}")
    return OK


def cmd_list(args) -> int:
    shares = list_shares()
    if args.json:
        print(json.dumps([{"shmid": s.shmid, "sysv_key": s.sysv_key, "size_bytes": s.size,
                           "attached": s.attached, "state": s.state, "problem": s.problem,
                           "info": s.info.as_dict() if s.info else None} for s in shares],
                         indent=2, sort_keys=True))
        return OK
    if not shares:
        print("no imgshare shares")
        return OK
    print(f"{'KEY':<20} {'SIZE':>11} {'MODE':<5} {'SEQ':>5} {'PID':>7} {'STATE':<11} {'AGE':>7}  SOURCE")
    for s in shares:
        i = s.info
        if i is None:
            print(f"{'?':<20} {'':>11} {'':<5} {'':>5} {'':>7} {'damaged':<11} {'':>7}  "
                  f"(segment {s.shmid}, System V key {s.sysv_key:#010x}: {s.problem})")
            continue
        print(f"{i.key[:20]:<20} {f'{i.width}x{i.height}':>11} {i.mode:<5} {i.sequence:>5} "
              f"{i.sender_pid:>7} {s.state:<11} {i.age:>6.0f}s  {i.source_name}")
    return OK


def cmd_clean(args) -> int:
    removed = clean(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for s in removed:
        print(f"{verb} stale share {s.info.key!r} (segment {s.shmid}, sender pid {s.info.sender_pid})")
    if not removed:
        print("no stale shares")
    return OK


def cmd_gui(args) -> int:
    from .views.window import run_gui
    if args.follow and not args.receive:
        raise UsageError("--follow goes with --receive")
    return run_gui(key=args.key, send_file=args.send, receive=args.receive, follow=args.follow)


def cmd_self_test(args) -> int:
    from .selftest import run_self_test
    return run_self_test()


COMMANDS = {"send": cmd_send, "receive": cmd_receive, "info": cmd_info, "key": cmd_key,
            "remove": cmd_remove, "list": cmd_list, "clean": cmd_clean, "gui": cmd_gui,
            "self-test": cmd_self_test}


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
        from .crashlog import write_crash_log
        path = write_crash_log(exc)
        print(f"imgshare: error: internal error ({type(exc).__name__}: {exc}); details in {path}",
              file=sys.stderr)
        return 1


__all__ = ["run", "build_parser", "NOT_SHARED"]
