"""Waiting for something to be shared, shared by both kinds of receiver."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .errors import NotSharedError

APPEAR_POLL = 0.02  # seconds between looks while --wait-ing for a share to appear
T = TypeVar("T")


def when_shared(wait: float, attempt: Callable[[], T], on_miss: Callable[[], None] | None = None) -> T:
    """attempt() until it stops raising NotSharedError, for up to wait seconds (then re-raise it)."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            return attempt()
        except NotSharedError:
            if on_miss is not None:
                on_miss()
            if time.monotonic() + APPEAR_POLL > deadline:
                raise
            time.sleep(APPEAR_POLL)
