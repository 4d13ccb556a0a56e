"""`imgshare bridge serve`: publish what is shared under some keys on this host to bridge clients.

One ROUTER socket; each client asks for one image at a time (a REQUEST naming the image it has) and
gets the newest other one as soon as there is one. So nothing queues for a slow or stopped client:
at most the one image it asked for is on its way, and a client that catches up gets the newest image,
never a backlog. The server never waits for a client, and its pumps never hold up a sender.
"""

from __future__ import annotations

import collections
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zmq

from . import wire
from .address import Address
from .compression import NONE, ZSTD
from .guard import DOMAIN, Gatekeeper, HandshakeWatch, OnceLog
from .pump import Pump

STATE_PERIOD = 0.25  # seconds between state messages to each client
CLIENT_TIMEOUT = 5.0  # a client silent this long is forgotten (it re-sends its request every 0.5 s)
MAX_CLIENTS = 256
STALE_BEAT = 0.25  # a pump that has not looked at its key for this long has stalled: wait for it
SEND_HWM = 16  # messages queued per client at most: its images in flight and a few state messages
MAX_IN_FLIGHT = 2  # requests a client may have waiting: one image on its way while the next is copied
NOTIFY_ENDPOINT = "inproc://imgshare-bridge-notify-"


@dataclass
class Security:
    """The server's CURVE keys and the clients' public keys it allows (None: plaintext)."""

    public: bytes
    secret: bytes
    allowed: dict[bytes, str]


@dataclass
class _Pending:
    request: wire.Request
    key: str
    arrived: float
    ticket: int  # the pump's ticket: answerable once the pump has confirmed it


@dataclass
class _Client:
    heard: float
    pending: dict[int, _Pending] = field(default_factory=dict)  # request number -> request, oldest first
    answered: collections.deque[int] = field(default_factory=lambda: collections.deque(maxlen=16))
    have: tuple[int, int] | None = None  # the image sent to it last
    have_request: int = 0  # the request that image answered
    last_state: float = 0.0
    named: set[str] = field(default_factory=set)


_LOG_LOCK = threading.Lock()


def _log_line(text: str) -> None:
    """One line on standard error, whole even when threads log at once."""
    with _LOG_LOCK:
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} imgshare bridge: {text}\n")
        sys.stderr.flush()


class BridgeServer:
    """Serves keys at an address until stop() (from any thread) or a signal sets `stop_event`."""

    def __init__(self, keys: list[str], address: Address, *, security: Security | None = None,
                 compress: str = NONE, log: Callable[[str], None] = _log_line):
        self.keys = list(dict.fromkeys(keys))
        self.address = address
        self.security = security
        self.compress = compress
        self.log = log
        self.name = secrets.token_hex(6)
        self.stop_event = threading.Event()
        self.sent_frames = 0
        self.sent_bytes = 0
        self._context: zmq.Context[Any] = zmq.Context()
        self._clients: dict[bytes, _Client] = {}
        self._notify_endpoint = NOTIFY_ENDPOINT + self.name
        self._pumps: dict[str, Pump] = {}
        self._gate: Gatekeeper | None = None
        self._watch: HandshakeWatch | None = None
        self._router: zmq.Socket[Any] | None = None
        self._notifiers: list[zmq.Socket[Any]] = []
        self._refusals = OnceLog(log)  # one line per refused client, shared by the gatekeeper and the monitor
        # Messages that are not the bridge's, apart: the monitor tells junk from a refused client's retries
        # by the refusals logged just before, and a bad message is not a refusal of a connection.
        self._ignored = OnceLog(log)

    # -- life -----------------------------------------------------------------------------------------
    def bind(self) -> BridgeServer:
        """Listen (raises zmq.ZMQError when the address cannot be bound)."""
        notify_pull = self._context.socket(zmq.PULL)
        notify_pull.bind(self._notify_endpoint)
        self._notify_pull = notify_pull
        router = self._context.socket(zmq.ROUTER)
        router.linger = 0
        router.sndhwm = SEND_HWM
        router.rcvhwm = 64
        router.maxmsgsize = wire.MAX_REQUEST_BYTES + 64
        router.setsockopt(zmq.HANDSHAKE_IVL, 5000)
        router.setsockopt(zmq.HEARTBEAT_IVL, 500)
        router.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        if self.security is not None:
            self._gate = Gatekeeper(self._context, self.security.allowed, self._refusals).start()
            router.curve_server = True
            router.curve_secretkey = self.security.secret
            router.curve_publickey = self.security.public
            router.zap_domain = DOMAIN
        self._watch = HandshakeWatch(router, self._refusals).start()
        try:
            router.bind(self.address.endpoint)
        except zmq.ZMQError:
            router.close()
            self._close_helpers()
            raise
        self._router = router
        for key in self.keys:
            self._pumps[key] = Pump(key, self._make_notifier(), self.log).start()
        return self

    def _make_notifier(self) -> Callable[[], None]:
        push = self._context.socket(zmq.PUSH)
        push.sndhwm = 1  # a pending notification is enough: the loop looks at every pump when woken
        push.linger = 0
        push.connect(self._notify_endpoint)
        lock = threading.Lock()

        def notify() -> None:
            with lock:
                try:
                    push.send(b"", zmq.NOBLOCK)
                except zmq.Again:
                    pass
        self._notifiers.append(push)
        return notify

    def serve(self) -> None:
        """Answer clients until stop_event is set."""
        router = self._router
        assert router is not None
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(self._notify_pull, zmq.POLLIN)
        while not self.stop_event.is_set():
            events = dict(poller.poll(50))
            if self._notify_pull in events:
                while True:
                    try:
                        self._notify_pull.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        break
            if router in events:
                for _ in range(64):
                    try:
                        parts = router.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._on_message(parts)
            self._answer_waiting()
            self._send_states()

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        for pump in self._pumps.values():
            pump.close()
        if self._router is not None:
            self._router.close(linger=0)
        self._notify_pull.close(linger=0)
        for push in self._notifiers:
            push.close(linger=0)
        self._close_helpers()
        self._context.term()

    def _close_helpers(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if self._gate is not None:
            self._gate.close()
            self._gate = None

    @property
    def refusals(self) -> int:
        return (self._gate.refused if self._gate else 0) + (self._watch.failures if self._watch else 0)

    # -- messages -------------------------------------------------------------------------------------
    def _on_message(self, parts: list[bytes]) -> None:
        if len(parts) < 2:
            return
        peer, body = parts[0], parts[1:]
        now = time.monotonic()
        client = self._clients.get(peer)
        try:
            if wire.kind_of(body) is not wire.Kind.REQUEST:
                raise wire.WireError("a message only a server sends")
            request = wire.decode_request(body)
        except wire.WireError as exc:
            self._ignored(peer, f"ignored {exc} from a client")
            return
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:
                self._forget_silent(now, everyone_older_than=0.0)
                if len(self._clients) >= MAX_CLIENTS:
                    return
            client = self._clients[peer] = _Client(heard=now)
        client.heard = now
        key = self._key_for(request)
        if key is not None and key not in client.named:
            client.named.add(key)
            self.log(f"a client follows key {key!r} ({len(self._clients)} connected)")
        if key is None:
            self._send_state(peer, client, request.key)
            return
        if request.number in client.answered or request.number in client.pending:
            return  # sent again while unanswered, or answered meanwhile: its image is on its way
        while len(client.pending) >= MAX_IN_FLIGHT:
            del client.pending[next(iter(client.pending))]  # the client gave up on it
        client.pending[request.number] = _Pending(request, key, now, 0)
        self._update_wants()
        client.pending[request.number].ticket = self._pumps[key].ask(self._waiting_for(key))

    def _key_for(self, request: wire.Request) -> str | None:
        if request.key is None:
            return self.keys[0] if len(self.keys) == 1 else None
        return request.key if request.key in self._pumps else None

    def _waiting_for(self, key: str) -> frozenset[tuple[int, int] | None]:
        """The images the clients waiting for key's next one have."""
        return frozenset(_has(c, p) for c in self._clients.values() for p in c.pending.values() if p.key == key)

    def _update_wants(self) -> None:
        """Which payload forms each pump prepares: raw, and zstd when someone wants it compressed."""
        compress = {p.key for c in self._clients.values() for p in c.pending.values() if p.request.compress}
        for key, pump in self._pumps.items():
            if self.compress != NONE:
                pump.compressions = frozenset({self.compress})
            else:
                pump.compressions = frozenset({NONE, ZSTD} if key in compress else {NONE})

    def _answer_waiting(self) -> None:
        for peer, client in list(self._clients.items()):
            if client.pending:
                self._try_answer(peer, client)

    def _try_answer(self, peer: bytes, client: _Client) -> None:
        """Send the oldest waiting request that the newest image answers that image, if the client has not
        got it yet."""
        for pending in client.pending.values():
            pump = self._pumps[pending.key]
            snapshot = pump.latest
            if (pump.confirmed >= pending.ticket and snapshot is not None
                    and snapshot.identity not in (_has(client, pending), pending.request.after)):
                break
        else:
            return
        if time.monotonic() - pump.beat > STALE_BEAT:
            return  # the pump stalled (this process was stopped): its copy may be old; it wakes us
        assert self._router is not None
        compression = ZSTD if ZSTD in snapshot.parts and (pending.request.compress or NONE not in snapshot.parts) \
            else NONE
        if compression not in snapshot.parts:
            compression = next(iter(snapshot.parts))
        payload = snapshot.parts[compression]
        meta = wire.FrameMeta(
            key=pending.key, image=snapshot.meta, checksum=snapshot.checksum, compression=compression,
            request=pending.request.number, waited=max(0.0, time.monotonic() - pending.arrived),
            age=max(0.0, time.time() - snapshot.meta.timestamp),
            missed=_missed(_has(client, pending), snapshot.identity),
            state=self._source_state(pending.key))
        try:
            self._router.send_multipart([peer, *wire.encode_frame(meta, payload)], zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return  # its queue is full (it stopped reading): it asks again when it reads
        except zmq.ZMQError:
            self._clients.pop(peer, None)
            return
        del client.pending[pending.request.number]
        client.answered.append(pending.request.number)
        client.have, client.have_request = snapshot.identity, pending.request.number
        pump.waiting = self._waiting_for(pending.key)
        self.sent_frames += 1
        self.sent_bytes += len(payload)

    def _source_state(self, key: str | None) -> wire.SourceState:
        state = self._pumps[key].state if key is not None else None
        return wire.SourceState(self.name, tuple(self.keys), key, bool(state and state.shared),
                                bool(state and state.sender_alive), state.sequence if state else 0)

    def _send_state(self, peer: bytes, client: _Client, asked: str | None) -> None:
        assert self._router is not None
        key = asked if asked in self._pumps else (self.keys[0] if asked is None and len(self.keys) == 1 else None)
        state = self._source_state(key)
        if asked is not None and key is None:
            state = wire.SourceState(self.name, tuple(self.keys), None)
        try:
            self._router.send_multipart([peer, *wire.encode_state(state)], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass
        client.last_state = time.monotonic()

    def _send_states(self) -> None:
        now = time.monotonic()
        self._forget_silent(now)
        for peer, client in list(self._clients.items()):
            if now - client.last_state >= STATE_PERIOD:
                asked = next(iter(client.named), None)
                self._send_state(peer, client, asked)

    def _forget_silent(self, now: float, everyone_older_than: float = CLIENT_TIMEOUT) -> None:
        gone = [peer for peer, c in self._clients.items() if now - c.heard > everyone_older_than]
        for peer in gone:
            del self._clients[peer]
        if gone:
            self.log(f"a client went away ({len(self._clients)} connected)")
            self._update_wants()


def _has(client: _Client, pending: _Pending) -> tuple[int, int] | None:
    """The image a client had when it sent a request. A request numbered MAX_IN_FLIGHT past the one
    answered last was sent after that answer arrived (a client keeps at most MAX_IN_FLIGHT requests
    out): its own `after` says, and may name an older image than the one sent last, which the client
    then dropped (damaged, or stale after a stall): that image is sent again. An earlier request was on
    its way before: the image sent last counts as had, so no image goes to a client twice."""
    if client.have is None or pending.request.number >= client.have_request + MAX_IN_FLIGHT:
        return pending.request.after
    return client.have


def _missed(had: tuple[int, int] | None, new: tuple[int, int]) -> int:
    """Images shared between the one a client had and the new one (ShareInfo.missed_since's rule)."""
    if had is None:
        return 0
    if had[0] == new[0]:
        return max(0, new[1] - had[1] - 1)
    return max(0, new[1] - 1)
