"""`imgshare receive`: one image to a file or its metadata, or every new image with --follow."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from ..exit_codes import OK, UsageError
from ..imaging import Fidelity, save_image
from ..ipc import ChannelKind, ImgShareError, NotSharedError, Receiver, WaitTimeoutError, open_receiver
from ..ipc.info import ShareInfo
from .output import describe, print_info
from .outputs import FollowFolder, single_output
from .signals import Stopped, StopSignals


def cmd_receive(args: argparse.Namespace) -> int:
    kind = ChannelKind.of(args.qt)
    if args.follow:
        if not kind.signals_new_images:
            raise UsageError("--follow is not available with --qt (Qt programs send no new-image signal)")
        return _receive_following(args)
    if args.count is not None:
        raise UsageError("--count goes with --follow")
    with open_receiver(args.key, kind) as receiver:
        try:
            image, info = receiver.receive(timeout=args.timeout, wait=args.wait, verify=not args.no_verify)
        except NotSharedError:
            if args.wait > 0:
                raise _waited_in_vain(args) from None
            raise
    if args.output:
        path = single_output(args.output, info, image.mode, force=args.force)
        _warn_if_lossy(save_image(image, path), path)
        if args.json:
            print_info(info, True)
        else:
            print(f"saved {path}: {describe(info)}")
    else:
        print_info(info, args.json)
    return OK


def _waited_in_vain(args: argparse.Namespace) -> WaitTimeoutError:
    return WaitTimeoutError(f"nothing was shared under the key {args.key!r} within {args.wait:g} s")


def _warn_if_lossy(fidelity: Fidelity, path: str) -> None:
    if fidelity is Fidelity.LOSSY:
        print(f"imgshare: warning: {path} is in a lossy format: its pixels differ from those shared; "
              "save as .png or .tif to keep them exactly", file=sys.stderr, flush=True)


def _receive_following(args: argparse.Namespace) -> int:
    from ..following import follow
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    folder = FollowFolder.prepare(args.output, force=args.force) if args.output else None
    stop = StopSignals("no image was received")
    expired = threading.Event()
    received = 0
    with Receiver(args.key) as receiver:
        if not _shared_now(receiver, args.timeout):
            limit = f" for up to {args.wait:g} s" if args.wait > 0 else ""
            print(f"imgshare: nothing is shared under the key {args.key!r} yet; waiting{limit} "
                  "(Ctrl+C to stop)", file=sys.stderr, flush=True)
        timer = None
        if args.wait > 0:
            def give_up() -> None:
                if received == 0:
                    expired.set()
                    stop.stop.set()
            timer = threading.Timer(args.wait, give_up)
            timer.daemon = True
            timer.start()
        try:
            for event in follow(receiver, stop.stop, verify=not args.no_verify, lock_timeout=args.timeout):
                if event.error is not None:
                    print(f"imgshare: warning: {event.error}", file=sys.stderr, flush=True)
                    continue
                if event.received is None:  # the sender went away
                    pid = event.info.sender_pid if event.info else "?"
                    print(f"sender gone (pid {pid}); waiting for a new sender", flush=True)
                    continue
                image, info = event.received
                line = describe(info) + (f", missed {event.missed}" if event.missed else "")
                path = None
                if folder is not None:
                    path = folder.path_for(info.sequence, image.mode)
                    save_image(image, path)
                    line = f"{path}: {line}"
                if args.json:  # one JSON object a line (JSON Lines), tags included
                    line = json.dumps({**info.as_dict(), "missed": event.missed,
                                       "file": None if path is None else str(path)}, sort_keys=True)
                print(line, flush=True)
                received += 1
                if args.count is not None and received >= args.count:
                    break
        finally:
            if timer is not None:
                timer.cancel()
    if expired.is_set() and received == 0:
        raise _waited_in_vain(args)
    if received == 0 and stop.signum is not None:
        raise Stopped(stop.signum, stop.outcome)  # interrupted before any image: as plain `receive --wait` (130)
    return OK


def _shared_now(receiver: Receiver, timeout: float) -> bool:
    try:
        info: ShareInfo = receiver.info(timeout=timeout)
    except NotSharedError:
        return False
    except ImgShareError:
        return True  # busy or damaged: following says so
    return info.sender_alive or info.persisted
