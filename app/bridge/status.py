"""A pulling bridge's state in words: connected / waiting for the server / source gone, with frames
per second, bytes per second and latency. One home for these sentences: the command line prints
them, `imgshare info` shows them for a pulled key, the window's status bar shows them."""

from __future__ import annotations

import collections
import enum
import time
from dataclasses import dataclass

RATE_WINDOW = 2.0  # seconds the rates are averaged over


class PullState(enum.Enum):
    WAITING = "waiting for the server"
    CONNECTED = "connected"
    SOURCE_GONE = "source gone"  # the server runs, but nothing is shared under the key or its sender died


@dataclass(frozen=True)
class PullStatus:
    """A snapshot of a puller, as words and numbers."""

    state: PullState
    address: str  # as the user typed it
    remote_key: str | None = None
    local_key: str | None = None
    reason: str | None = None  # WAITING: why, when known (the server refused our keys...)
    frames: int = 0  # published since the start
    dropped: int = 0  # arrived but not published (damaged, or stale after a stall)
    frames_per_second: float = 0.0
    bytes_per_second: float = 0.0
    latency: float | None = None  # seconds from the share on the far host to the share here (estimate)
    sequence: int = 0  # the source's sequence of the last image
    missed: int = 0  # images shared at the source that this side never got (skipped for newer ones)

    @property
    def remote_sender(self) -> str:
        """'alive', 'gone', or 'unknown' while the server cannot be reached."""
        return {PullState.CONNECTED: "alive", PullState.SOURCE_GONE: "gone"}.get(self.state, "unknown")

    @property
    def source(self) -> str:
        """Where the images come from: the address and the key on the far host."""
        if self.remote_key is None:
            return self.address
        return f"{self.address.rstrip('/')}/{self.remote_key}" if "/" not in self.address[6:] else self.address

    def words(self) -> str:
        """One line: 'connected to tcp://h:5555/K: 59.9 frames/s, 372 MB/s, latency 6 ms'."""
        if self.state is PullState.WAITING:
            text = f"waiting for the server at {self.source}"
            return f"{text}: {self.reason}" if self.reason else text
        if self.state is PullState.SOURCE_GONE:
            return f"source gone at {self.source}; keeping the last image"
        rates = f"{self.frames_per_second:.1f} frames/s, {format_rate(self.bytes_per_second)}"
        latency = f", latency {self.latency * 1000:.0f} ms" if self.latency is not None else ""
        return f"connected to {self.source}: {rates}{latency}"


def format_rate(bytes_per_second: float) -> str:
    for unit, size in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if bytes_per_second >= size:
            return f"{bytes_per_second / size:.1f} {unit}"
    return f"{bytes_per_second:.0f} B/s"


class Rates:
    """Frames and bytes per second over the last RATE_WINDOW seconds, and the latest latency."""

    def __init__(self) -> None:
        self._events: collections.deque[tuple[float, int]] = collections.deque()
        self._start = time.monotonic()
        self.latency: float | None = None

    def add(self, size: int, latency: float | None) -> None:
        """One image of size bytes published; latency None keeps the last sample."""
        now = time.monotonic()
        self._events.append((now, size))
        if latency is not None:
            self.latency = latency
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._events and now - self._events[0][0] > RATE_WINDOW:
            self._events.popleft()

    def per_second(self) -> tuple[float, float]:
        """(frames, bytes) per second."""
        now = time.monotonic()
        self._trim(now)
        span = max(0.5, min(RATE_WINDOW, now - self._start))
        return len(self._events) / span, sum(size for _, size in self._events) / span
