"""`imgshare bridge pull`: fetch a key's images from a bridge server and publish each one here.

Two requests are kept at the server (IN_FLIGHT): while one image travels, the server copies the next,
and each arrival asks for another before it is published, so transfers overlap copies. Nothing more
is ever queued, however slow this side is. An image that took far longer to arrive than images
usually take (this process was stopped, say) is dropped and the newest asked for instead, so a puller
that wakes up publishes a fresh image, never a stale one. A damaged image (XXH3, length or compressed
size wrong) is dropped and asked for again: a still image must still arrive (docs/bridge.md).
Silence from the server for a second is "waiting for the server"; the request is re-sent every half
second meanwhile and ZeroMQ reconnects every 100 ms, so a restarted server is served again at once.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import xxhash
import zmq

from ..exit_codes import UsageError
from ..ipc import ImgShareError, NotSharedError, Sender
from . import wire
from .address import Address
from .compression import Decompressor
from .frames import ImageMeta, shareable
from .guard import HANDSHAKE_FAILURES, HandshakeWatch, OnceLog, failure_reason
from .status import PullState, PullStatus, Rates

IN_FLIGHT = 2  # requests kept at the server (it keeps no more: server.MAX_IN_FLIGHT)
RESEND = 0.5  # seconds before an unanswered request is sent again (also the client's heartbeat)
SILENCE = 1.0  # seconds without a word from the server before it counts as gone
STALE_FLOOR = 0.1  # an image whose transit took this much longer than usual is stale
STALE_FACTOR = 4.0
POLL = 0.05
RECONNECT = 0.1  # seconds between attempts to connect (libzmq's reconnect interval)
OLD_IMAGE = 1.0  # seconds an image may have waited on the server and still give a latency sample
STATUS_PERIOD = 1.0
MAX_FRAME_BYTES = 1 << 31  # larger messages end the connection (libzmq's ZMQ_MAXMSGSIZE)


class FrameSink(Protocol):
    """Where pulled images go: a local key (`bridge pull`), or a window. rows: the image's rows without
    padding, their checksum already checked."""

    def publish(self, meta: ImageMeta, rows: Any, remote_key: str) -> None: ...

    def close(self) -> None: ...


class ShareSink:
    """Shares each image under a local key with Sender.share, keeping the source's numbering (so a
    follower here counts the images the bridge skipped as missed) and its epochs: when the source's key
    was made again (a new epoch there), the local key is made again too."""

    def __init__(self, key: str | None):
        self.key = key
        self.sender: Sender | None = None
        self._epoch: int | None = None  # the source's epoch the local key's numbering follows

    def publish(self, meta: ImageMeta, rows: Any, remote_key: str) -> None:
        if self.sender is not None and self._epoch not in (None, meta.epoch):
            self._renew()
        if self.sender is None:
            self.key = self.key or remote_key
            self.sender = Sender(self.key)
        self._epoch = meta.epoch
        image, channels = shareable(meta, rows)
        self.sender.number_next(meta.sequence)
        got = self.sender.share(image, meta.source_name, channels=channels, tags=meta.tags,
                                source_mode=meta.source_mode)
        if got != meta.sequence:  # the local key was already numbered past it (a pull before this one)
            self._renew()
            self.publish(meta, rows, remote_key)

    def _renew(self) -> None:
        """The local key made again: a new epoch, numbered from scratch."""
        assert self.sender is not None
        self.sender.close()
        self.sender = Sender(self.key or "")
        self._epoch = None

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()


@dataclass(frozen=True)
class ClientSecurity:
    public: bytes
    secret: bytes
    server: bytes


@dataclass
class _Asked:
    number: int
    first_sent: float
    last_sent: float


class PullError(ImgShareError):
    """The pull cannot go on (the server does not publish the key asked for...)."""


class Puller:
    """Pulls from one address into a sink until stop is set; run() returns or raises ImgShareError."""

    def __init__(self, address: Address, sink: FrameSink, *, remote_key: str | None = None,
                 security: ClientSecurity | None = None, compress: bool = False,
                 on_status: Callable[[PullStatus], None] | None = None,
                 log: Callable[[str], None] | None = None):
        self.address = address
        self.sink = sink
        self.remote_key = remote_key or address.key
        self.security = security
        self.compress = compress
        self.on_status = on_status
        self.log = log or (lambda line: None)
        self.status = PullStatus(PullState.WAITING, address.text, self.remote_key)
        self.rates = Rates()
        self._decompressor = Decompressor()
        self._published: tuple[int, int] | None = None  # the source identity published last
        self._asked: dict[int, _Asked] = {}  # request number -> when sent, oldest first
        self._number = 0
        self._heard = 0.0
        self._server: str | None = None
        self._typical_transit: float | None = None
        self._dropped_in_a_row = 0
        self._handshake_problem: str | None = None
        self._handshake_failed_at = 0.0  # set from the monitor's thread; the loop connects again after it
        self._connected_again = False
        self._remote_alive = False
        self._logged: set[str] = set()

    # -- the loop -------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        context: zmq.Context[Any] = zmq.Context()
        socket = self._socket(context)
        watch = HandshakeWatch(socket, OnceLog(lambda line: None), self._on_handshake).start()
        last_status = 0.0
        try:
            socket.connect(self.address.endpoint)
            self._emit(force=True)
            while not stop.is_set():
                self._ask(socket)
                if socket.poll(int(POLL * 1000), zmq.POLLIN):
                    self._drain(socket)
                now = time.monotonic()
                self._connect_again_after_a_failed_handshake(socket, now)
                if self._update_state(now) or now - last_status >= STATUS_PERIOD:
                    last_status = now
                    self._emit(force=True)
        finally:
            watch.close()
            socket.close(linger=0)
            context.term()

    def _socket(self, context: zmq.Context[Any]) -> zmq.Socket[Any]:
        socket: zmq.Socket[Any] = context.socket(zmq.DEALER)
        socket.linger = 0
        socket.immediate = True  # never queue requests for a server that is not there
        socket.rcvhwm = 8
        socket.sndhwm = 4
        socket.maxmsgsize = MAX_FRAME_BYTES
        socket.reconnect_ivl = int(RECONNECT * 1000)
        socket.setsockopt(zmq.RECONNECT_IVL_MAX, int(RECONNECT * 1000))
        socket.setsockopt(zmq.HEARTBEAT_IVL, 500)
        socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        if self.security is not None:
            socket.curve_serverkey = self.security.server
            socket.curve_publickey = self.security.public
            socket.curve_secretkey = self.security.secret
        return socket

    def _on_handshake(self, kind: int, value: int) -> None:
        """From the monitor's thread (single assignments only): why the server refused us, and after a
        (re)connection, that every unanswered request must be sent again at once (a restarted server
        never saw them)."""
        if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self._handshake_problem = None
            self._connected_again = True
        elif kind in HANDSHAKE_FAILURES:
            self._handshake_problem = failure_reason(kind, value)
            self._handshake_failed_at = time.monotonic()

    def _connect_again_after_a_failed_handshake(self, socket: zmq.Socket[Any], now: float) -> None:
        """libzmq gives up a connection whose handshake failed on this side (a protocol error: security
        that does not match the server's, say) and never tries again, though it does retry when the
        server hangs up first: whichever side noticed first, keep trying every reconnect interval, as
        for a server that is not there (it may come back with other keys), and so the server sees and
        logs why it refuses us."""
        failed_at = self._handshake_failed_at
        if failed_at and now - failed_at >= RECONNECT:
            self._handshake_failed_at = 0.0
            try:
                socket.disconnect(self.address.endpoint)
            except zmq.ZMQError:
                pass  # libzmq had already forgotten the endpoint
            socket.connect(self.address.endpoint)

    def _ask(self, socket: zmq.Socket[Any]) -> None:
        """Keep IN_FLIGHT requests at the server: send new ones, and again those unanswered for RESEND."""
        now = time.monotonic()
        again, self._connected_again = self._connected_again, False
        for asked in list(self._asked.values()):
            if (again or now - asked.last_sent >= RESEND) and self._send(socket, asked.number):
                asked.last_sent = now
        while len(self._asked) < IN_FLIGHT:
            if not self._send(socket, self._number + 1):
                return  # not connected: asked on a later turn
            self._number += 1
            self._asked[self._number] = _Asked(self._number, now, now)

    def _send(self, socket: zmq.Socket[Any], number: int) -> bool:
        request = wire.Request(self.remote_key, self._published, number, self.compress)
        try:
            socket.send_multipart(wire.encode_request(request), zmq.NOBLOCK)
        except zmq.Again:
            return False
        return True

    def _drain(self, socket: zmq.Socket[Any]) -> None:
        while True:
            try:
                parts = socket.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            self._heard = time.monotonic()
            self._handshake_problem = None
            try:
                kind = wire.kind_of([parts[0].bytes])
                if kind is wire.Kind.STATE:
                    self._on_state(wire.decode_state([p.bytes for p in parts]))
                elif kind is wire.Kind.FRAME:
                    self._on_frame(socket, parts)
                else:
                    raise wire.WireError("a message only a client sends")
            except wire.WireError as exc:
                self._log_once(f"ignored {exc} from the server")

    def _on_state(self, state: wire.SourceState) -> None:
        if self._server is not None and state.server != self._server:
            self.log("the server restarted; asking again")
            self._asked.clear()
        self._server = state.server
        if state.key is None:
            if self.remote_key is not None:
                raise NotSharedError(f"the server at {self.address.endpoint} publishes no key {self.remote_key!r} "
                                     f"(it publishes {_names(state.keys)})")
            raise UsageError(f"the server at {self.address.endpoint} publishes several keys ({_names(state.keys)}); "
                             "choose one with --remote-key or tcp://HOST:PORT/KEY")
        self.remote_key = state.key
        self._remote_alive = state.shared and state.sender_alive

    def _on_frame(self, socket: zmq.Socket[Any], parts: list[Any]) -> None:
        if len(parts) != 3:
            raise wire.WireError("a frame of the wrong shape")
        meta = wire.decode_frame_meta([parts[0].bytes, parts[1].bytes, parts[2]])
        now = time.monotonic()
        if meta.state is not None:
            self._on_state(meta.state)
        asked = self._asked.pop(meta.request, None)
        if asked is None:
            return  # the answer to a request given up on (across a server restart)
        transit = max(0.0, now - asked.first_sent - meta.waited)
        image = meta.image
        identity = image.identity
        if self._stale(transit):
            self._count_drop()
            self._ask_afresh(socket)  # for the newest image: this one again if nothing newer came
            return
        self._dropped_in_a_row = 0
        self._typical_transit = transit if self._typical_transit is None else (
            0.8 * self._typical_transit + 0.2 * transit)
        if identity == self._published:
            self._ask(socket)
            return  # already published (asked again across a server restart)
        had, self._published = self._published, identity
        self._ask(socket)  # the next transfer overlaps this image's copy
        rows = self._checked_rows(meta, parts[2].buffer)
        started = time.monotonic()
        if rows is None:  # damaged: not had after all, asked for again (a still image must still arrive)
            self._published = had
            self._count_drop()
            self._ask_afresh(socket)
            return
        try:
            self.sink.publish(image, rows, meta.key)
        except ImgShareError as exc:  # tags or a size this host refuses...: this image (not asked for
            self._count_drop()  # again: it would be refused again), not the pull
            self._log_once(f"dropped an image: {exc}")
            return
        published = time.monotonic()
        # Latency: from the share there to the share here. An image that was already old when asked for
        # (a still image, the first one) says nothing about the link: no sample.
        fresh = meta.age <= meta.waited + OLD_IMAGE
        self.rates.add(len(parts[2].buffer), meta.age + transit + (published - started) if fresh else None)
        self.status = dataclasses.replace(self.status, frames=self.status.frames + 1, sequence=image.sequence,
                                          missed=self.status.missed + meta.missed)

    def _checked_rows(self, meta: wire.FrameMeta, payload: Any) -> Any:
        """The frame's rows, decompressed, or None (logged once) when they are not the image's."""
        try:
            rows = self._decompressor.decompress(payload, meta.compression, meta.image.length)
        except wire.WireError as exc:
            self._log_once(f"dropped an image: {exc}")
            return None
        if xxhash.xxh3_64_intdigest(rows) != meta.checksum:
            self._log_once(f"dropped image {meta.image.sequence}: it arrived damaged (its XXH3 checksum does "
                           "not match its bytes)")
            return None
        return rows

    def _ask_afresh(self, socket: zmq.Socket[Any]) -> None:
        """Give up on the requests out (each was sent assuming an image that was then dropped) and send new
        ones naming the image really had: the server sends its newest image, even the one dropped."""
        self._asked.clear()
        self._ask(socket)

    def _stale(self, transit: float) -> bool:
        typical = self._typical_transit
        if typical is None or self._dropped_in_a_row >= IN_FLIGHT:
            return False  # no more than the images in flight: a link that got slower still delivers
        return transit > max(STALE_FLOOR, STALE_FACTOR * typical)

    def _count_drop(self) -> None:
        self._dropped_in_a_row += 1
        self.status = dataclasses.replace(self.status, dropped=self.status.dropped + 1)

    # -- state ----------------------------------------------------------------------------------------
    def _update_state(self, now: float) -> bool:
        """Recompute the state; True when it changed."""
        if self._heard == 0.0 or now - self._heard > SILENCE:
            state, reason = PullState.WAITING, self._handshake_problem
        elif not self._remote_alive:
            state, reason = PullState.SOURCE_GONE, None
        else:
            state, reason = PullState.CONNECTED, None
        changed = (state, reason) != (self.status.state, self.status.reason)
        if changed:
            self.status = dataclasses.replace(self.status, state=state, reason=reason, remote_key=self.remote_key)
        return changed

    def _emit(self, force: bool = False) -> None:
        frames, size = self.rates.per_second()
        local = getattr(self.sink, "key", None)
        self.status = dataclasses.replace(self.status, frames_per_second=frames, bytes_per_second=size,
                                          latency=self.rates.latency, remote_key=self.remote_key,
                                          local_key=local if isinstance(local, str) else None)
        if self.on_status is not None:
            self.on_status(self.status)

    def _log_once(self, line: str) -> None:
        if line not in self._logged and len(self._logged) < 100:
            self._logged.add(line)
            self.log(line)


def _names(keys: tuple[str, ...]) -> str:
    return ", ".join(repr(k) for k in keys) if keys else "no keys"
