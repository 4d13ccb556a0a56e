"""`imgshare receive`: one image to a file or its metadata, or every new image with --follow."""

from __future__ import annotations

import os
import sys

from ..exit_codes import OK, UsageError
from ..ipc import NotSharedError, Receiver, WaitTimeoutError
from .output import describe, print_info
from .send import StopSignals


def receiver_for(args):
    if args.qt:
        from ..ipc.qt import QtReceiver
        return QtReceiver(args.key)
    return Receiver(args.key)


def cmd_receive(args) -> int:
    if args.follow:
        if args.qt:
            raise UsageError("--follow is not available with --qt (Qt programs send no new-image signal)")
        return _receive_following(args)
    if args.count is not None:
        raise UsageError("--count goes with --follow")
    receiver = receiver_for(args)
    try:
        image, info = receiver.receive(timeout=args.timeout, wait=args.wait, verify=not args.no_verify)
    except NotSharedError:
        if args.wait > 0:
            raise WaitTimeoutError(
                f"nothing was shared under the key {args.key!r} within {args.wait:g} s") from None
        raise
    if args.output:
        from ..imaging import save_image
        save_image(image, args.output)
        if args.json:
            print_info(info, True)
        else:
            print(f"saved {args.output}: {describe(info)}")
    else:
        print_info(info, args.json)
    return OK


def _receive_following(args) -> int:
    from ..following import follow
    from ..imaging import LOSSLESS_PNG_MODES, save_image
    stop = StopSignals()
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
            line = describe(info) + (f", missed {event.missed}" if event.missed else "")
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
