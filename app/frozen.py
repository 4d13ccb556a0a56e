"""What imgshare needs before anything else runs, for a double-clicked or PyInstaller-built program.

A program started from a file manager may have no usable stdout or stderr (Python then sets them to
None, and a bare print() raises); an uncaught error there would vanish, so it goes to the crash log.
In a PyInstaller one-file binary the Python process is the child of a small launcher that unpacks the
bundle to a `_MEI*` folder, forwards signals and removes the folder when the child exits; folders
that a SIGKILL of both left behind are removed at the next start (bundles.py).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from types import TracebackType

_prepared = threading.Event()  # prepare() may run from the frozen entry script and from main()


def prepare() -> None:
    """Call first in main(): streams that accept writes, crash logging, and stop if the launcher dies."""
    if _prepared.is_set():
        return
    _prepared.set()
    _ensure_streams()
    _log_uncaught_errors()
    if _is_onefile_child():
        _stop_with_launcher()
        from .bundles import remove_stale_bundles
        remove_stale_bundles(getattr(sys, "_MEIPASS", ""))  # left by a SIGKILL of an earlier run


def _ensure_streams() -> None:
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))


def _log_uncaught_errors() -> None:
    """Write any uncaught exception, in the main thread or another, to the crash log as well."""
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook

    def log(exc: BaseException, context: str) -> None:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return
        try:
            from .crashlog import write_crash_log
            path = write_crash_log(exc, context)
            print(f"imgshare: internal error; details in {path}", file=sys.stderr)
        except Exception:  # logging must never hide the original error
            pass

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log(exc, "uncaught")
        previous_hook(kind, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log(args.exc_value, f"uncaught in thread {args.thread.name if args.thread else '?'}")
        previous_thread_hook(args)

    sys.excepthook, threading.excepthook = hook, thread_hook


def _is_onefile_child() -> bool:
    # One-file bundles unpack to a temporary _MEIxxxxxx folder; one-folder bundles have no launcher.
    bundle = getattr(sys, "_MEIPASS", "")
    return bool(getattr(sys, "frozen", False) and os.path.basename(bundle).startswith("_MEI"))


def _stop_with_launcher() -> None:
    """If the launcher is killed (kill -9), stop too: SIGTERM lets a sender clean up, and on the way
    out remove the unpacked bundle, which the dead launcher can no longer do."""
    if not sys.platform.startswith("linux"):
        return
    launcher = os.getppid()
    try:
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    atexit.register(_remove_bundle_if_orphaned, launcher, getattr(sys, "_MEIPASS", ""))
    if os.getppid() != launcher:  # the launcher died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _remove_bundle_if_orphaned(launcher: int, bundle: str) -> None:
    if os.getppid() != launcher:
        import shutil
        shutil.rmtree(bundle, ignore_errors=True)
