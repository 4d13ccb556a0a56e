"""`imgshare receive`: one image to a file, standard output or its metadata, or every new image with
--follow. What each output format keeps is fidelity.py's table: lossy writes warn, and a format that
would lose the values entirely is refused before anything is written."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from PIL import Image

from ..exit_codes import OK, UsageError
from ..fidelity import Fidelity, Verdict
from ..image16 import Image16
from ..imaging import save_image
from ..ipc import (
    AccessDeniedError,
    ChannelKind,
    NotSharedError,
    Receiver,
    WaitTimeoutError,
    open_receiver,
)
from ..ipc.info import ShareInfo
from ..lifecycle import Stopped, StopSignals
from ..recording import FrameLog
from .output import describe, print_info
from .outputs import STDOUT, STDOUT_NAME, FollowFolder, check_single_output, check_stdout, chosen_format, single_output


def cmd_receive(args: argparse.Namespace) -> int:
    kind = ChannelKind.of(args.qt)
    format_name = chosen_format(args.output, args.format)
    if args.output == STDOUT:
        check_stdout(json=args.json)
    if args.follow:
        if not kind.signals_new_images:
            raise UsageError("--follow is not available with --qt (Qt programs send no new-image signal)")
        return _receive_following(args, format_name)
    if args.count is not None:
        raise UsageError("--count goes with --follow")
    if args.output:
        check_single_output(args.output)  # a bad name fails before anything is read
    with open_receiver(args.key, kind) as receiver:
        try:
            image, info = receiver.receive(timeout=args.timeout, wait=args.wait, verify=not args.no_verify)
        except NotSharedError:
            if args.wait > 0:
                raise _waited_in_vain(args) from None
            raise
    if args.output == STDOUT:
        _warn_if_lossy(save_image(image, sys.stdout.buffer, format=format_name or "PNG"), STDOUT_NAME)
        print(f"imgshare: wrote {describe(info)} to {STDOUT_NAME}", file=sys.stderr, flush=True)
    elif args.output:
        path = single_output(args.output, info, image.mode, force=args.force, format_name=format_name)
        _warn_if_lossy(save_image(image, path, format=format_name), path)
        if args.json:
            print_info(info, True)
        else:
            print(f"saved {path}: {describe(info)}")
    else:
        print_info(info, args.json)
    return OK


def _waited_in_vain(args: argparse.Namespace) -> WaitTimeoutError:
    return WaitTimeoutError(f"nothing was shared under the key {args.key!r} within {args.wait:g} s")


def _warn_if_lossy(verdict: Verdict, shown: str) -> None:
    if verdict.fidelity is Fidelity.LOSSY:
        print(f"imgshare: warning: {verdict.warning(shown, to_file=shown != STDOUT_NAME)}", file=sys.stderr,
              flush=True)


class _Writer:
    """Where --follow puts each image: a folder (made at the first image; each image's time recorded
    beside it for `send FOLDER/`), standard output, or nowhere (only the description line); a lossy
    format warns once per mode."""

    def __init__(self, output: str | None, *, force: bool, format_name: str | None):
        self.to_stdout = output == STDOUT
        self.format_name = format_name
        self.folder = (FollowFolder.prepare(output, force=force, format_name=format_name)
                       if output and not self.to_stdout else None)
        self._warned: set[str] = set()
        self._log = FrameLog(self.folder.folder) if self.folder is not None else None

    def close(self) -> None:
        if self._log is not None:
            self._log.close()

    def write(self, image: Image.Image | Image16, info: ShareInfo) -> str | None:
        """Write one image; returns the file written (None when not a file)."""
        if self.to_stdout:
            self._warn(save_image(image, sys.stdout.buffer, format=self.format_name or "PNG"), STDOUT_NAME)
            return None
        if self.folder is None:
            return None
        self.folder.ensure()
        path = self.folder.path_for(info.sequence, image.mode)
        self._warn(save_image(image, path, format=self.format_name), path)
        if self._log is not None:
            self._log.add(path, info.sequence)
        return f"{path}: "

    def _warn(self, verdict: Verdict, shown: str) -> None:
        if verdict.fidelity is Fidelity.LOSSY and verdict.mode not in self._warned:
            self._warned.add(verdict.mode)
            _warn_if_lossy(verdict, shown)


def _receive_following(args: argparse.Namespace, format_name: str | None) -> int:
    from ..following import follow, sender_serving
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    writer = _Writer(args.output, force=args.force, format_name=format_name)
    lines = sys.stderr if writer.to_stdout else sys.stdout  # standard output carries the images then
    stop = StopSignals("no image was received")
    expired = threading.Event()
    received = 0
    with Receiver(args.key) as receiver:
        if not sender_serving(receiver, args.timeout):
            limit = f" for up to {args.wait:g} s" if args.wait > 0 else ""
            print(f"imgshare: nothing is shared under the key {args.key!r} yet; waiting{limit} "
                  "(Ctrl+C to stop)", file=sys.stderr, flush=True)
        timer = None
        if args.wait > 0:
            def give_up() -> None:
                if received == 0:
                    expired.set()
                    stop.finish()
            timer = threading.Timer(args.wait, give_up)
            timer.daemon = True
            timer.start()
        try:
            for event in follow(receiver, stop.stop, verify=not args.no_verify, lock_timeout=args.timeout):
                if event.error is not None:
                    if isinstance(event.error, AccessDeniedError):
                        raise event.error  # another user's share appeared: it stays theirs (exit 6)
                    print(f"imgshare: warning: {event.error}", file=sys.stderr, flush=True)
                    continue
                if event.received is None:  # the sender went away
                    pid = event.info.sender_pid if event.info else "?"
                    print(f"sender gone (pid {pid}); waiting for a new sender", file=lines, flush=True)
                    continue
                image, info = event.received
                line = describe(info) + (f", missed {event.missed}" if event.missed else "")
                path = writer.write(image, info)
                if args.json:  # one JSON object a line (JSON Lines), tags included
                    line = json.dumps({**info.as_dict(), "missed": event.missed, "file": path}, sort_keys=True)
                elif path is not None:
                    line = f"{path}: {line}"
                print(line, file=lines, flush=True)
                received += 1
                if args.count is not None and received >= args.count:
                    break
        finally:
            if timer is not None:
                timer.cancel()
            writer.close()
    if expired.is_set() and received == 0:
        raise _waited_in_vain(args)
    if received == 0 and stop.signum is not None:
        raise Stopped(stop.signum, stop.outcome)  # interrupted before any image: as plain `receive --wait` (130)
    return OK

