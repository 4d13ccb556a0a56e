"""`imgshare send`: share a file (or standard input) and serve it until a signal, through the same
serving session as the Sender tab (app/serving.py), then remove what it made."""

from __future__ import annotations

import argparse
import os
import sys
import threading

from ..exit_codes import OK, UsageError
from ..imaging import SOURCE_MODE, NotRegularFileError, load_image, read_input
from ..ipc import ChannelKind, ImgShareError
from ..lifecycle import StopSignals
from ..playback import Frame, load_frames
from ..serving import ServingEvents, ServingSession, Shared

STDIN = "-"
STDIN_NAME = "standard input"


def _is_folder(args: argparse.Namespace) -> bool:
    return args.file != STDIN and (args.file.endswith(os.sep) or os.path.isdir(args.file))


def _load(args: argparse.Namespace, verbose: bool) -> list[Frame]:
    """The frames to share, decoded in full before anything is shared."""
    if _is_folder(args):
        from ..recording import load_folder
        if verbose:
            print(f"imgshare: loading the images of {args.file}", file=sys.stderr, flush=True)
        return load_folder(args.file, args.fps)
    if verbose:
        print(f"imgshare: loading {STDIN_NAME if args.file == STDIN else args.file}", file=sys.stderr,
              flush=True)
    source = read_input(sys.stdin.buffer) if args.file == STDIN else args.file
    name = STDIN_NAME if args.file == STDIN else None
    try:
        if args.persist:  # a still snapshot: the first frame exactly as the file holds it
            return [Frame(load_image(source, name=name), 0.0)]
        return load_frames(source, name=name)
    except NotRegularFileError as exc:
        raise NotRegularFileError(f"{exc}; to share what a pipe carries, give - as the file and feed "
                                  "it on standard input") from None


def _describe(shared: Shared, what: str) -> str:
    return f"{what} ({shared.size[0]}x{shared.size[1]} {shared.mode})"


def cmd_send(args: argparse.Namespace) -> int:
    stop = StopSignals("nothing was shared")  # installed first: a signal at any moment from here on is handled
    if args.persist and args.watch:
        raise UsageError("--persist and --watch cannot be combined: watching needs a running sender")
    if args.file == STDIN and args.watch:
        raise UsageError("--watch needs a file; standard input cannot be watched")
    folder = _is_folder(args)
    if folder and (args.persist or args.watch):
        raise UsageError("a folder is played as frames: --persist and --watch go with a single file")
    if not folder and (args.fps is not None or args.loop):
        raise UsageError("--fps and --loop play a folder of images: give FOLDER/")
    with stop.aborting():  # a signal while loading: give up, nothing shared
        frames = _load(args, args.verbose)
    reduced = frames[0].image.info.get(SOURCE_MODE) if frames else None
    if reduced:  # Pillow decoded the file with fewer bits than it holds; the share says converted
        print(f"imgshare: warning: {args.file} holds {reduced} ({reduced.split(';')[0]} with 16 bits a channel), "
              f"which imgshare cannot carry exactly; it is shared as {frames[0].image.mode}, 8 bits a channel, "
              "and marked converted", file=sys.stderr, flush=True)
    what = STDIN_NAME if args.file == STDIN else os.path.basename(args.file)
    source_name = "" if args.file == STDIN else args.file
    failures: list[ImgShareError] = []

    def failed(exc: ImgShareError) -> None:
        failures.append(exc)
        stop.finish()

    def new_version(shared: Shared, _frames: object) -> None:
        print(f"shared {_describe(shared, what)} again, sequence {shared.sequence}", flush=True)

    def skipped(exc: ImgShareError) -> None:
        print(f"imgshare: warning: {exc}", file=sys.stderr, flush=True)

    once = folder and not args.loop
    session = ServingSession(args.timeout, ServingEvents(failed=failed, new_version=new_version,
                                                         skipped=skipped, ended=stop.finish))
    try:
        shared = session.share(args.key, frames, source_name,
                               path=None if args.file == STDIN or folder else os.path.abspath(args.file),
                               kind=ChannelKind.of(args.qt), watch=args.watch, loop=not once)
        if once and len(frames) == 1:  # a still image played once: its time, then the end
            threading.Timer(frames[0].seconds, stop.finish).start()
        if args.persist:
            session.stop(persist=True)
            print(f"shared {_describe(shared, what)} under key {args.key!r}, sequence {shared.sequence}; "
                  "left in place (persisted)", flush=True)
            return OK
        extra = f", playing {len(frames)} frames" if len(frames) > 1 else ""
        extra += " once" if once else ""
        extra += ", watching for changes" if args.watch else ""
        until = "until the last frame ends or Ctrl+C" if once else "until interrupted (Ctrl+C)"
        print(f"shared {_describe(shared, what)} under key {args.key!r}, sequence {shared.sequence}{extra}; "
              f"serving {until}, pid {os.getpid()}", flush=True)
        stop.wait()
        if failures:
            raise failures[0]
        if once and stop.signum is None:
            print(f"played {len(frames)} frame{'s' if len(frames) != 1 else ''} of {args.file}", flush=True)
        return OK
    finally:
        session.close()
