"""Who may talk to a bridge server, and one log line for each connection that may not.

With keys, the server speaks CURVE and a ZAP handler (ZeroMQ's authentication hook, RFC 27) admits only
the public keys of --allow. A client with another key, a plaintext client, one without the server's
public key, and bytes that are not ZeroMQ at all never get past the handshake; the server's socket
monitor reports each such failure, and the server writes one line about it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import zmq
from zmq.utils import z85
from zmq.utils.monitor import recv_monitor_message

ZAP_ENDPOINT = "inproc://zeromq.zap.01"  # fixed by RFC 27
DOMAIN = b"imgshare-bridge"
_OK, _DENIED = b"200", b"400"

Log = Callable[[str], None]
HANDSHAKE_FAILURES = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                      zmq.EVENT_HANDSHAKE_FAILED_AUTH)
REPEAT_WINDOW = 60.0
JUNK_GRACE = 1.0  # a refused client retries every 100 ms: the same refusal is logged once a minute


class OnceLog:
    """Logs a line once per REPEAT_WINDOW for each distinct reason (thread-safe); last_at is when it
    last logged anything."""

    def __init__(self, log: Log):
        self._log = log
        self._last: dict[object, float] = {}
        self._lock = threading.Lock()
        self.last_at = -REPEAT_WINDOW

    def __call__(self, reason: object, line: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(reason, -REPEAT_WINDOW) < REPEAT_WINDOW:
                return
            if len(self._last) > 1000:
                self._last.clear()
            self._last[reason] = now
            self.last_at = now
        self._log(line)

# Why a handshake failed, from the monitor's protocol error code, as the log line says it.
_REASONS: dict[int, str] = {
    int(zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH): "a client whose security does not match the server's "
                                                     "(keys on one side only: a plaintext client, say)",
    int(zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC): "a client that does not have this server's public key",
    int(zmq.PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE): "a client that does not have this server's public key",
    int(zmq.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO): "a client that does not have this server's public key",
}
_JUNK = "a connection that does not speak the bridge's protocol (junk, or another program)"


class Gatekeeper:
    """A ZAP handler admitting the allowed public keys, in a thread of its own; log() gets one line per
    refusal. Start it before binding the server's socket; close() stops it."""

    def __init__(self, context: zmq.Context[Any], allowed: dict[bytes, str], log: OnceLog):
        self._allowed = {z85.decode(key): name for key, name in allowed.items()}
        self._log = log
        self._socket = context.socket(zmq.REP)
        self._socket.linger = 0
        self._socket.bind(ZAP_ENDPOINT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-zap", daemon=True)
        self.refused = 0

    def start(self) -> Gatekeeper:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            request = self._socket.recv_multipart()
            self._socket.send_multipart(self._answer(request))

    def _answer(self, request: list[bytes]) -> list[bytes]:
        if len(request) < 6:
            return [b"1.0", b"", _DENIED, b"malformed ZAP request", b"", b""]
        version, request_id, _domain, address, _identity, mechanism = request[:6]
        credentials = request[6:]
        if mechanism == b"CURVE" and credentials and credentials[0] in self._allowed:
            return [version, request_id, _OK, b"OK", self._allowed[credentials[0]].encode(), b""]
        self.refused += 1
        if mechanism == b"CURVE" and credentials:
            who = z85.encode(credentials[0]).decode()
            self._log((address, who), f"refused a client at {address.decode(errors='replace')}: its public key "
                                      f"{who} is not among the allowed keys")
        else:
            self._log((address, mechanism), f"refused a client at {address.decode(errors='replace')}: it did not "
                                            "use the bridge's keys")
        return [version, request_id, _DENIED, b"not allowed", b"", b""]


class HandshakeWatch:
    """Reads a socket's monitor in a thread and logs one line per refused connection. A handshake that
    failed for a reason is logged at once (the monitor's events name no peer, but the reason is sure);
    a refusal by the Gatekeeper is logged there, with the client's address. A connection that ended
    with no reason given (junk, or a refused client hanging up on one of its retries, every 100 ms) is
    matched to its ACCEPTED event by descriptor and logged as junk only when no refusal with a reason
    came within a minute before or a second after it. OnceLog keeps each reason to a line a minute."""

    EVENTS = (zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
              | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
              | zmq.EVENT_HANDSHAKE_SUCCEEDED)

    def __init__(self, socket: zmq.Socket[Any], log: OnceLog, on_event: Callable[[int, int], None] | None = None):
        self._monitor = socket.get_monitor_socket(self.EVENTS)
        self._socket = socket
        self._log = log
        self._on_event = on_event
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bridge-monitor", daemon=True)
        self._junk_at = 0.0
        self._waiting: dict[int, str | None] = {}  # fd -> outcome: None (none yet), _OK, _AUTH or a reason
        self.failures = 0

    def start(self) -> HandshakeWatch:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self._socket.disable_monitor()
        except zmq.ZMQError:
            pass
        self._monitor.close(linger=0)

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._monitor, zmq.POLLIN)
        while not self._stop.is_set():
            self._log_junk_if_alone()
            if not poller.poll(100):
                continue
            try:
                event = recv_monitor_message(self._monitor)
            except zmq.ZMQError:
                return
            kind, value = int(event["event"]), int(event["value"])
            if self._on_event is not None:
                self._on_event(kind, value)
            self._track(kind, value)

    def _track(self, kind: int, value: int) -> None:
        if kind == zmq.EVENT_ACCEPTED:
            if len(self._waiting) > 1000:
                self._waiting.clear()
            self._waiting[value] = None
            return
        if kind == zmq.EVENT_DISCONNECTED:
            if value in self._waiting and self._waiting.pop(value) in (None, _HUNG_UP):
                self.failures += 1  # ended with no reason given: junk, unless a refused client's retry
                self._junk_at = self._junk_at or time.monotonic()
            return
        if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            outcome = _SUCCEEDED
        elif kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            outcome = _AUTH  # the Gatekeeper logged it, with the client's address
        elif value in _REASONS:
            outcome = _REASONS[value]
            self.failures += 1
            self._log(outcome, f"refused {outcome}")  # whichever connection it was: the reason is sure
        else:
            outcome = _HUNG_UP
        for fd, known in self._waiting.items():  # the oldest connection still waiting for its outcome
            if known is None or (known == _HUNG_UP and outcome != _HUNG_UP):
                self._waiting[fd] = outcome
                return

    def _log_junk_if_alone(self) -> None:
        """A connection that ended with no reason given is junk, unless a refusal with a reason came just
        before or after it (a refused client hanging up on its retries): wait a second to tell."""
        junk_at = self._junk_at
        if junk_at and time.monotonic() - junk_at > JUNK_GRACE:
            self._junk_at = 0.0
            if self._log.last_at < junk_at - REPEAT_WINDOW:
                self._log(_JUNK, f"refused {_JUNK}")


_SUCCEEDED, _AUTH, _HUNG_UP = "succeeded", "refused by the gatekeeper", "hung up during the handshake"


def failure_reason(kind: int, value: int) -> str | None:
    """For a client's own monitor: why the server would not let it in, or None on success."""
    if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
        return None
    if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return "the server does not allow this client's key (add its public key to the server's --allow folder)"
    if value in (zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,):
        return "the server and this client disagree on keys (one of them runs without keys)"
    if value in (zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, zmq.PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE,
                 zmq.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME):
        return "the server's key is not the one given with --server-key"
    return "the handshake with the server failed (is it an imgshare bridge server?)"
