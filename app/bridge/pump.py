"""One served key on the server's host: its newest image, copied out of shared memory once per share,
ready to send to every client that asks, and what is known about its sender.

The pump copies each new image while a client is connected (a memory copy: the slot is pinned only
for that long, so the sender always finds a free slot and never waits for the network). Copies go
into a bounded pool of buffers, each reused once ZeroMQ has let go of it: memory stays flat whatever
the clients do, and a buffer is never touched for the first time per frame.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq

from ..ipc import ImgShareError, NotSharedError, Receiver
from ..ipc.info import ShareInfo
from ..ipc.raw import RawImage
from .compression import NONE, Compressor

IDLE_CHECK = 0.25  # seconds between looks at the key while no client is connected
NEW_IMAGE_WAIT = 0.1  # longest sleep on the new-image signal (the pump's heartbeat)
MAX_BUFFERS = 64  # one per client whose copy is still on its way, plus the newest: far above use


@dataclass(frozen=True)
class Snapshot:
    """The newest image of a key, ready to send."""

    raw: RawImage
    parts: dict[str, Any]  # compression name -> the payload part (a zmq.Frame over the pool's buffer)
    read_at: float  # time.monotonic() when it was copied

    @property
    def identity(self) -> tuple[int, int, int]:
        h = self.raw.header
        return h.sender_pid, h.sequence, h.timestamp_ns


@dataclass(frozen=True)
class KeyState:
    """What the server can say about its key now."""

    shared: bool = False
    sender_alive: bool = False
    sequence: int = 0
    problem: str | None = None  # a sentence (the segment is damaged, the lock stays busy...)


class _Buffer:
    def __init__(self, length: int):
        self.memory = memoryview(bytearray(length))
        self.tracker: Any = None  # the MessageTracker of the zmq.Frame over it; None: never sent

    def free(self) -> bool:
        return self.tracker is None or self.tracker.done


class BufferPool:
    """Payload buffers reused once free (ZeroMQ done with them and not the newest image)."""

    def __init__(self) -> None:
        self._buffers: list[_Buffer] = []
        self.taken: _Buffer | None = None

    def take(self, length: int) -> memoryview:
        for buffer in self._buffers:
            if buffer.free() and length <= len(buffer.memory) <= 2 * length:
                buffer.tracker = None
                self.taken = buffer
                return buffer.memory[:length]
        self._buffers = [b for b in self._buffers if not (b.free() and b is not self.taken)][-MAX_BUFFERS:]
        buffer = _Buffer(length)
        self._buffers.append(buffer)
        self.taken = buffer
        return buffer.memory

    @property
    def size(self) -> int:
        return sum(len(b.memory) for b in self._buffers)


class Pump:
    """Follows one key in a thread of its own. `latest` and `state` are replaced whole (never changed in
    place), so the server's thread reads them without a lock; notify() tells it something changed."""

    def __init__(self, key: str, notify: Callable[[], None], log: Callable[[str], None]):
        self.key = key
        self.latest: Snapshot | None = None
        self.state = KeyState()
        self.beat = time.monotonic()  # when the pump last looked at the key: a stale beat means it stalled
        self.wanted = threading.Event()  # set while a client is connected
        self.compressions: frozenset[str] = frozenset({NONE})
        self._notify = notify
        self._log = log
        self._stop = threading.Event()
        self._pool = BufferPool()
        self._compressors: dict[str, Compressor] = {}
        self._thread = threading.Thread(target=self._run, name=f"bridge-pump-{key}", daemon=True)

    def start(self) -> Pump:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.wanted.set()
        self._thread.join()

    def _run(self) -> None:
        with Receiver(self.key) as receiver:
            last: ShareInfo | None = None
            next_check = 0.0
            while not self._stop.is_set():
                self.beat = time.monotonic()
                if not self.wanted.is_set():
                    last = None  # a client that comes later gets a fresh copy
                    self.latest = None
                    self._check(receiver, None)
                    self.wanted.wait(IDLE_CHECK)
                    continue
                try:
                    raw = receiver.receive_raw_new(last, NEW_IMAGE_WAIT, buffer=self._pool.take)
                except ImgShareError as exc:
                    self._set_state(KeyState(problem=str(exc)))
                    self._stop.wait(IDLE_CHECK)
                    continue
                self.beat = time.monotonic()
                if raw is not None:
                    last = raw.info
                    self.latest = self._snapshot(raw)
                    info = raw.info
                    self._set_state(KeyState(True, info is not None and (info.sender_alive or info.persisted),
                                             raw.header.sequence), quiet=True)
                    self._notify()
                elif self.beat >= next_check:
                    next_check = self.beat + IDLE_CHECK
                    self._check(receiver, last)
                else:
                    self._notify()  # the beat moved on: a request held back while it was stale may go

    def _snapshot(self, raw: RawImage) -> Snapshot:
        taken = self._pool.taken
        parts: dict[str, Any] = {}
        for name in self.compressions:
            if name == NONE:
                frame = zmq.Frame(raw.pixels, copy=False, track=True)
                if taken is not None:
                    taken.tracker = frame.tracker
                parts[name] = frame
            else:
                compressor = self._compressors.setdefault(name, Compressor(name))
                parts[name] = compressor.compress(raw.pixels)
        return Snapshot(raw, parts, time.monotonic())

    def _check(self, receiver: Receiver, last: ShareInfo | None) -> None:
        """Look at the key without reading pixels: shared? its sender alive?"""
        try:
            info = receiver.info(timeout=1.0)
        except NotSharedError:
            self._set_state(KeyState())
            return
        except ImgShareError as exc:
            self._set_state(KeyState(problem=str(exc)))
            return
        self._set_state(KeyState(True, info.sender_alive or info.persisted, info.sequence))

    def _set_state(self, state: KeyState, quiet: bool = False) -> None:
        old, self.state = self.state, state
        if (old.shared, old.sender_alive, old.problem) != (state.shared, state.sender_alive, state.problem):
            if state.problem and state.problem != old.problem:
                self._log(f"key {self.key!r}: {state.problem}")
            elif not state.shared and old.shared:
                self._log(f"key {self.key!r}: nothing is shared any more")
            elif state.shared and not state.sender_alive and old.sender_alive:
                self._log(f"key {self.key!r}: its sender is gone; clients keep the last image")
            elif state.shared and state.sender_alive and not old.sender_alive:
                self._log(f"key {self.key!r}: shared, sequence {state.sequence}")
            if not quiet:
                self._notify()
