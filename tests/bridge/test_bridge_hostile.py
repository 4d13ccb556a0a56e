"""Garbled and hostile messages reaching a real puller (`imgshare bridge pull` on host B): each is
refused with one line, the pull goes on, the pulled key keeps its last good image, and an image damaged
on its way is fetched again, so even a still image (shared once) arrives. The server's side of this
(junk and refused clients at a real server) is in test_bridge_security.py."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest
import xxhash
import zmq

from imgshare.bridge import wire
from imgshare.bridge.compression import Compressor
from imgshare.bridge.frames import ImageMeta
from imgshare.bridge.puller import IN_FLIGHT
from tests.bridge.hosts import LOADED, eventually, free_port

_STATE = wire.SourceState("fake", ("k",), "k", True, True, 1)
_IMAGE = ImageMeta(width=2, height=1, mode="L", epoch=5, sequence=1, timestamp=1.0, source_name="good")


class FakeServer:
    """A ROUTER socket in the test answering a puller's requests with whatever the test chooses."""

    def __init__(self, port: int):
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.linger = 0
        self.router.bind(f"tcp://127.0.0.1:{port}")
        self.waiting: dict[int, tuple[bytes, float]] = {}  # request number -> the puller's peer id, arrival
        self.floor = 0  # numbers up to this one the puller gave up on

    def _newest_request(self) -> tuple[bytes, int, float]:
        """The newest request the puller waits for, and how long it waited here, once the puller has all
        its requests out (it keeps IN_FLIGHT; at most LOADED seconds)."""
        deadline = time.monotonic() + LOADED
        while len(self.waiting) < IN_FLIGHT or self.router.poll(0):
            if not self.router.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                pytest.fail(f"{IN_FLIGHT} requests from the puller within {LOADED} s: only {list(self.waiting)}")
            peer, *parts = self.router.recv_multipart()
            number = wire.decode_request(parts).number
            if number > self.floor:
                self.waiting.setdefault(number, (peer, time.monotonic()))
        number = max(self.waiting)
        peer, arrived = self.waiting[number]
        return peer, number, time.monotonic() - arrived

    def answer(self, image: ImageMeta, payload: bytes, *, rows: bytes | None = None, compression: str = "none",
               edit: dict[str, object] | None = None, parts: list[bytes] | None = None,
               outcome: str = "garbage") -> None:
        """Answer the newest request with a frame of image (checksum of rows, payload as given), its JSON
        edited, or with `parts` instead. outcome: what the puller does with it: "garbage" (refused as a
        message: it still waits), "published", or "dropped" (it gives up on its requests and asks anew)."""
        peer, number, waited = self._newest_request()
        checksum = xxhash.xxh3_64_intdigest(payload if rows is None else rows)
        # `waited` as if the request had waited here since long before it was sent: no answer looks stale
        # to the puller (which drops a slow arrival unlogged) however slow this loaded machine is
        message = parts or wire.encode_frame(wire.FrameMeta("k", image, checksum, compression, number,
                                                            waited + 3600, 0.0, 0, _STATE), payload)
        if edit:
            data = json.loads(message[1])
            data["image"] |= edit
            message[1] = json.dumps(data).encode()
        self.router.send_multipart([peer, *message])
        if outcome == "published":
            del self.waiting[number]
        elif outcome == "dropped":
            self.floor = max(self.waiting)
            self.waiting.clear()

    def close(self) -> None:
        self.router.close()
        self.context.term()


def test_a_lying_server_reaches_no_key_and_loses_no_image(hosts):
    """Each lie costs the puller one line, never the pull nor the image the key holds; the image first
    sent damaged is published when it comes intact."""
    _, b = hosts
    port = free_port()
    fake = FakeServer(port)
    puller = b.imgshare("bridge", "pull", f"tcp://127.0.0.1:{port}/k", "--key", "lied-to")
    first, second = _IMAGE, dataclasses.replace(_IMAGE, sequence=2, source_name="second")
    frame = wire.envelope(wire.Kind.FRAME)
    lies: list[tuple[str, dict[str, object]]] = [  # (what the puller's line says, the answer)
        ("dropped image 2: it arrived damaged", dict(payload=b"no", rows=b"ok", outcome="dropped")),
        ("a compressed frame whose size does not match", dict(
            payload=Compressor("zstd").compress(b"ok!"), rows=b"ok", compression="zstd", outcome="dropped")),
        ("a frame of the wrong shape", dict(payload=b"ok", parts=[frame, b"{}"])),
        ("a frame of the wrong shape", dict(payload=b"ok", parts=[frame])),
        ("bad 'palette'", dict(payload=b"ok", edit={"mode": "P", "palette_mode": "RGB", "palette": "00" * 5})),
        ("bad 'bgr'", dict(payload=b"ok", edit={"bgr": True})),
        ("metadata is not JSON", dict(payload=b"ok", parts=[frame, b'{"key": NaN}', b"ok"])),
        ("bridge protocol 9", dict(payload=b"ok", parts=[b"IMGB\x09F", b"{}", b"ok"])),
        ("a frame of 3 bytes for an image of 2", dict(payload=b"ok!", rows=b"ok", outcome="dropped")),
    ]
    try:
        fake.answer(first, b"hi", outcome="published")
        eventually(lambda: (b.describe("lied-to") or {}).get("source_name") == "good", what="the first image")
        for _, lie in lies:
            fake.answer(second, **lie)  # type: ignore[arg-type]
        for line, _ in lies:
            eventually(lambda line=line: any(line in said for said in puller.errors),
                       what=f"{line!r} among {puller.errors}")
        kept = b.describe("lied-to")
        assert kept is not None and kept["sequence"] == 1  # the last good image, untouched
        fake.answer(second, b"ok", outcome="published")  # the image that came damaged, now intact
        eventually(lambda: (b.describe("lied-to") or {}).get("source_name") == "second", what="the intact image")
        assert puller.popen.poll() is None
        said = [line for line in puller.errors if "dropped" in line or "ignored" in line]
        assert len(said) == len(set(said)) == 8, said  # one line each (the two of the wrong shape are one)
        assert not any("Traceback" in line for line in puller.errors), puller.errors
    finally:
        fake.close()


class DamagingProxy:
    """Between a real puller and a real server: passes every message on, but flips a byte in the payload
    of the first `damage` frames (as a faulty link or router would)."""

    def __init__(self, port: int, server: str, damage: int = 1):
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.front = self.context.socket(zmq.ROUTER)
        self.front.linger = 0
        self.front.bind(f"tcp://127.0.0.1:{port}")
        self.back = self.context.socket(zmq.DEALER)
        self.back.linger = 0
        self.back.connect(server)
        self.damage = damage
        self.damaged = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self.front, zmq.POLLIN)
        poller.register(self.back, zmq.POLLIN)
        peer = b""
        while not self._stop.is_set():
            ready = dict(poller.poll(100))
            if self.front in ready:
                peer, *parts = self.front.recv_multipart()
                self.back.send_multipart(parts)
            if self.back in ready:
                parts = self.back.recv_multipart()
                if wire.kind_of(parts) is wire.Kind.FRAME and self.damaged < self.damage:
                    self.damaged += 1
                    payload = bytearray(parts[2])
                    payload[len(payload) // 2] ^= 0x40
                    parts[2] = bytes(payload)
                self.front.send_multipart([peer, *parts])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.front.close()
        self.back.close()
        self.context.term()


@pytest.mark.parametrize("compress", ["none", "zstd"])
def test_a_still_image_damaged_on_its_way_is_sent_again(hosts, address, compress):
    """One image shared once: its first copy arrives damaged, the puller drops it, and the server sends it
    again (a server that never sends a client the same image twice would leave the key empty)."""
    a, b = hosts
    sharer = a.peer("share", "still")
    sharer.write("RGB")
    shared = sharer.json_line()["described"]
    a.imgshare("bridge", "serve", "--key", "still", "--listen", address, "--compress", compress).wait_for("serving")
    port = free_port()
    proxy = DamagingProxy(port, address)
    try:
        puller = b.imgshare("bridge", "pull", f"tcp://127.0.0.1:{port}/still", "--key", "still-here")
        eventually(lambda: b.describe("still-here") == shared, what="the still image, intact")
        assert proxy.damaged == 1
        assert sum("dropped" in line for line in puller.errors) == 1, puller.errors
    finally:
        proxy.close()
