"""`imgshare send`: share a file and serve it (playing animations, watching for changes) until a
signal, then remove what it made."""

from __future__ import annotations

import os
import signal
import sys
import threading

from ..exit_codes import OK, UsageError
from ..ipc import ImgShareError, Sender


class StopSignals:
    """Turns SIGINT, SIGTERM and SIGHUP into a flag, so a sender always gets to clean up."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self):
        self.stop = threading.Event()
        for sig in self.SIGNALS:
            signal.signal(sig, lambda signum, frame: self.stop.set())

    def wait(self) -> None:
        while not self.stop.wait(0.5):
            pass


def _sender_for(args):
    if args.qt:
        from ..ipc.qt import QtSender
        return QtSender(args.key, lock_timeout=args.timeout)
    return Sender(args.key, lock_timeout=args.timeout)


def cmd_send(args) -> int:
    from ..imaging import load_image
    from ..playback import Frame, Player, load_frames
    stop = StopSignals()  # installed first: a signal at any moment from here on still cleans up
    if args.persist and args.watch:
        raise UsageError("--persist and --watch cannot be combined: watching needs a running sender")
    if args.qt and args.watch:
        raise UsageError("--watch is not available with --qt")
    if args.persist:  # a still snapshot: the first frame exactly as the file holds it
        frames = [Frame(load_image(args.file), 0.0)]
    else:
        frames = load_frames(args.file)
    image = frames[0].image
    sender = _sender_for(args)
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
            from ..watching import FileWatcher

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
