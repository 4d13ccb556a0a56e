"""Blocking work off the Tk thread: one worker thread per owner, results delivered by after() polling.

The thread runs jobs in the order submitted (so a tab's share, stop and close never overlap); each
result goes on a queue that the Tk thread polls with after(), a few per tick, calling the job's done or
failed callback there. Widgets are only ever touched from those callbacks.
"""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable
from typing import Any

POLL_MS = 20
RESULTS_PER_TICK = 8
_Job = tuple[Callable[..., Any], tuple[Any, ...], Callable[[Any], None] | None, Callable[[BaseException], None] | None]
_Outcome = tuple[Callable[[Any], None] | None, Any, BaseException | None]  # (callback, result, exception)


class Worker:
    """`worker.submit(func, arg, done=show, failed=report)`: func(arg) runs in the thread, then
    done(result) or failed(exception) runs on the Tk thread. A job without `failed` re-raises its
    exception on the Tk thread, where the window's callback-error hook reports it."""

    def __init__(self, widget: tk.Misc, name: str, on_busy: Callable[[bool], None] | None = None,
                 poll_ms: int = POLL_MS):
        self._widget = widget
        self._poll_ms = poll_ms
        self._on_busy = on_busy
        self._jobs: queue.Queue[_Job | None] = queue.Queue()  # None: the thread's end
        self._results: queue.Queue[_Outcome] = queue.Queue()
        self._pending = 0
        self._after_id: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"imgshare-{name}", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(self, func: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
               failed: Callable[[BaseException], None] | None = None) -> None:
        if self._closed:
            return
        self._pending += 1
        if self._pending == 1 and self._on_busy:
            self._on_busy(True)
        self._jobs.put((func, args, done, failed))
        if self._after_id is None:
            self._after_id = self._widget.after(self._poll_ms, self._poll)

    def close(self, wait: float = 0.0) -> None:
        """Drop queued jobs, stop polling, let the thread end after its current job (waiting up to wait s)."""
        self._closed = True
        if self._after_id is not None:
            try:
                self._widget.after_cancel(self._after_id)
            except Exception:  # the widget is already destroyed: nothing left to cancel
                pass
            self._after_id = None
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(None)
        if wait:
            self._thread.join(wait)

    # -- the thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            func, args, done, failed = job
            outcome: _Outcome
            try:
                outcome = (done, func(*args), None)
            except BaseException as exc:  # handed to the Tk thread, which decides how to report it
                outcome = (failed, None, exc)
            self._results.put(outcome)

    # -- the Tk thread -----------------------------------------------------------------------------
    def _poll(self) -> None:
        self._after_id = None
        if self._closed:
            return
        try:
            for _ in range(RESULTS_PER_TICK):
                try:
                    callback, result, exc = self._results.get_nowait()
                except queue.Empty:
                    break
                self._pending -= 1
                if self._pending == 0 and self._on_busy:
                    self._on_busy(False)
                if exc is None:
                    if callback is not None:
                        callback(result)
                elif callback is not None:
                    callback(exc)
                else:
                    raise exc
        finally:
            if self._pending and not self._closed and self._after_id is None:
                self._after_id = self._widget.after(self._poll_ms, self._poll)
