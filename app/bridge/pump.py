"""One served key on the server's host: its newest image, read out of shared memory when a client
asks for it, ready to send to every client that asks, and what is known about its sender.

The pump reads on demand: when requests arrive (the server's thread hands it a ticket per request), it
reads the key (Receiver.receive_new, the public API) if it has not got its newest image yet, or sleeps on
the key's new-image signal while every waiting client already has the newest. So a sender faster than
the link costs the server nothing for the images nobody will get. A read pins its slot only while the
rows are copied out (the sender always finds a free slot and never waits for the network); each
snapshot is one private copy that ZeroMQ sends from without copying, dropped once sent and replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xxhash
import zmq

from ..ipc import ImgShareError, NotSharedError, Receiver, ShareInfo
from .compression import NONE, Compressor
from .frames import ImageMeta, from_received

IDLE_CHECK = 0.25  # seconds between looks at the key while no client is connected
NEW_IMAGE_WAIT = 0.05  # longest sleep on the new-image signal (the pump's heartbeat while clients wait)


@dataclass(frozen=True)
class Snapshot:
    """The newest image of a key, ready to send."""

    meta: ImageMeta
    info: ShareInfo  # as the receiver read it (for receive_new's "newer than")
    checksum: int  # XXH3-64 of the rows
    parts: dict[str, Any]  # compression name -> the payload part (a zmq.Frame over the rows)
    read_at: float  # time.monotonic() when it was read

    @property
    def identity(self) -> tuple[int, int]:
        return self.meta.identity


@dataclass(frozen=True)
class KeyState:
    """What the server can say about its key now."""

    shared: bool = False
    sender_alive: bool = False
    sequence: int = 0
    problem: str | None = None  # a sentence (the segment is damaged, the lock stays busy...)


class Pump:
    """Follows one key in a thread of its own. `latest` and `state` are replaced whole (never changed in
    place), so the server's thread reads them without a lock; notify() tells it something changed.

    The server's thread calls ask() for each new request and answers it once `confirmed` reaches the
    request's ticket: `latest` was then the newest image (or newer than what the client has)."""

    def __init__(self, key: str, notify: Callable[[], None], log: Callable[[str], None]):
        self.key = key
        self.latest: Snapshot | None = None
        self.state = KeyState()
        self.beat = time.monotonic()  # when the pump last looked at the key: a stale beat means it stalled
        self.asked = 0  # tickets handed out (the server's thread)
        self.confirmed = 0  # tickets whose requests `latest` may answer (the pump's thread)
        self.waiting: frozenset[tuple[int, int] | None] = frozenset()  # what the waiting clients have
        self.compressions: frozenset[str] = frozenset({NONE})
        self._wake = threading.Event()
        self._notify = notify
        self._log = log
        self._stop = threading.Event()
        self._compressors: dict[str, Compressor] = {}
        self._thread = threading.Thread(target=self._run, name=f"bridge-pump-{key}", daemon=True)

    def start(self) -> Pump:
        self._thread.start()
        return self

    def ask(self, waiting: frozenset[tuple[int, int] | None]) -> int:
        """A request arrived (server's thread): waiting holds what every waiting client has. Returns the
        request's ticket."""
        self.waiting = waiting
        self.asked += 1
        self._wake.set()
        return self.asked

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        with Receiver(self.key) as receiver:
            next_check = 0.0
            while not self._stop.is_set():
                self.beat = time.monotonic()
                ticket, latest = self.asked, self.latest
                if ticket == self.confirmed and not self.waiting:
                    self._wake.wait(IDLE_CHECK)  # no client waits: look at the key now and then
                    self._wake.clear()
                    if self.beat >= next_check:
                        next_check = self.beat + IDLE_CHECK
                        self._check(receiver)
                    continue
                up_to_date = latest is None or self.waiting <= {latest.identity}
                wait = NEW_IMAGE_WAIT if ticket == self.confirmed and up_to_date else 0.0
                try:
                    got = receiver.receive_new(latest.info if latest else None, wait, borrow=True)
                except ImgShareError as exc:
                    self._set_state(KeyState(problem=str(exc)))
                    self.confirmed = ticket
                    self._stop.wait(IDLE_CHECK)
                    continue
                self.beat = time.monotonic()
                if got is not None:
                    meta, rows = from_received(got.image, got.info)
                    info = got.info
                    del got  # a borrowed image maps the slot: let the sender have it back
                    self.latest = self._snapshot(meta, info, rows)
                    self._set_state(KeyState(True, meta.sender_alive or meta.persisted, meta.sequence), quiet=True)
                elif self.beat >= next_check:
                    next_check = self.beat + IDLE_CHECK
                    self._check(receiver)
                self.confirmed = ticket
                self._notify()

    def _snapshot(self, meta: ImageMeta, info: ShareInfo, rows: bytes) -> Snapshot:
        parts: dict[str, Any] = {}
        for name in self.compressions:
            if name == NONE:
                parts[name] = zmq.Frame(rows, copy=False)
            else:
                compressor = self._compressors.setdefault(name, Compressor(name))
                parts[name] = compressor.compress(rows)
        return Snapshot(meta, info, xxhash.xxh3_64_intdigest(rows), parts, time.monotonic())

    def _check(self, receiver: Receiver) -> None:
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
