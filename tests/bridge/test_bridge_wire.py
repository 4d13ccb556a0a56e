"""The bridge's messages and addresses, without processes: what the far end may send is refused with a
reason, and a descriptor crosses field by field."""

from __future__ import annotations

import dataclasses
import json

import pytest
import zmq

from imgshare.bridge import wire
from imgshare.bridge.address import parse_address
from imgshare.bridge.compression import Compressor, Decompressor
from imgshare.exit_codes import UsageError
from imgshare.ipc.header import Header, Transparency
from tests.bridge.hosts import eventually, free_port

_HEADER = Header(sequence=7, width=3, height=2, mode="P", stride=3, payload_length=6, checksum=99, sender_pid=42,
                 sender_start=5, timestamp_ns=1_700_000_000_123_456_789, source_name="ü.png", source_mode="P",
                 palette_mode="RGBA", palette=bytes(range(16)), transparency_kind=Transparency.ALPHA,
                 transparency_alpha=b"\x00\x80")


def test_a_descriptor_crosses_field_by_field():
    meta = wire.FrameMeta("k", _HEADER, 99, "none", 3, 0.5, 0.01, None)
    parts = wire.encode_frame(meta, b"x" * 6)
    assert wire.kind_of(parts) is wire.Kind.FRAME
    back = wire.decode_frame_meta(parts)
    assert back.header == _HEADER
    assert dataclasses.replace(back, header=_HEADER) == meta


def test_fields_a_newer_peer_adds_are_left_out():
    data = json.loads(wire.encode_frame(wire.FrameMeta("k", _HEADER, 1, "none", 1, 0, 0), b"")[1])
    data["header"]["tags"] = {"exposure": 3}  # a protocol 3 field this build may not know
    back = wire.header_from_json(data["header"])
    assert back.sequence == 7 and back.palette == _HEADER.palette


@pytest.mark.parametrize("change", [
    {"mode": "CMYK"}, {"width": 0}, {"stride": 1}, {"payload_length": 5}, {"palette": "zz"},
    {"transparency_kind": 9}, {"sequence": True}, {"source_name": 5}, {"flags": 1 << 20},
])
def test_a_bad_descriptor_is_refused_with_a_reason(change):
    data = wire.header_to_json(_HEADER) | change
    with pytest.raises(wire.WireError, match="a frame with a bad"):
        wire.header_from_json(data)


@pytest.mark.parametrize("parts", [
    [], [b"junk"], [b"IMGB\x02R", b"{}"], [b"IMGB\x01Z", b"{}"], [b"IMGB\x01R", b"\xff\xfe"],
    [b"IMGB\x01R", b"[1]"], [b"IMGB\x01R", b'{"key": 5, "after": null, "number": 1}'],
    [b"IMGB\x01R", b'{"key": null, "after": [1, 2], "number": 1}'], [b"IMGB\x01R", b"x" * 70000],
])
def test_junk_requests_are_refused(parts):
    with pytest.raises(wire.WireError):
        wire.decode_request(parts) if parts and wire.kind_of(parts) else wire.kind_of(parts)


def test_compression_round_trips_and_refuses_lies():
    data = bytes(range(256)) * 1000
    packed = Compressor("zstd").compress(data)
    assert len(packed) < len(data) // 50
    assert Decompressor().decompress(packed, "zstd", len(data)) == data
    for lie in (len(data) - 1, len(data) + 1):
        with pytest.raises(wire.WireError):
            Decompressor().decompress(packed, "zstd", lie)
    with pytest.raises(wire.WireError):
        Decompressor().decompress(b"junkjunkjunk", "zstd", 12)
    with pytest.raises(wire.WireError):
        Decompressor().decompress(data, "brotli", len(data))


@pytest.mark.parametrize(("text", "host", "port", "key"), [
    ("tcp://127.0.0.1:5555", "127.0.0.1", 5555, None),
    ("tcp://camera-box:5555/front%20door", "camera-box", 5555, "front door"),
    ("tcp://[::1]:7/k", "[::1]", 7, "k"),
])
def test_addresses(text, host, port, key):
    address = parse_address(text, listening=False)
    assert (address.host, address.port, address.key) == (host, port, key)


@pytest.mark.parametrize("text", ["udp://h:1", "tcp://h", "tcp://h:0", "tcp://h:99999", "tcp://:5", "tcp://*:5",
                                  "tcp://h:5/", "h:5"])
def test_bad_pulling_addresses_are_usage_errors(text):
    if text == "tcp://h:5/":
        assert parse_address(text, listening=False).key is None
        return
    with pytest.raises(UsageError, match=repr(text).replace("[", r"\[").replace("*", r"\*")):
        parse_address(text, listening=False)


@pytest.mark.parametrize(("text", "loopback"), [("tcp://127.0.0.1:5", True), ("tcp://127.9.0.1:5", True),
                                                 ("tcp://localhost:5", True), ("tcp://[::1]:5", True),
                                                 ("tcp://*:5", False), ("tcp://0.0.0.0:5", False),
                                                 ("tcp://192.168.1.4:5", False), ("tcp://eth0:5", False)])
def test_which_listening_addresses_stay_on_this_machine(text, loopback):
    assert parse_address(text, listening=True).loopback is loopback


def test_a_lying_server_reaches_no_key(hosts):
    """A fake server answers the puller's requests: a payload that does not match its checksum and a
    descriptor that does not validate never reach the key; a good image after them does."""
    _, b = hosts
    port = free_port()
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.linger = 0
    router.bind(f"tcp://127.0.0.1:{port}")
    puller = b.imgshare("bridge", "pull", f"tcp://127.0.0.1:{port}/k", "--key", "lied-to")
    good = Header(sequence=1, width=2, height=1, mode="L", stride=2, payload_length=2, checksum=0, sender_pid=1,
                  sender_start=1, timestamp_ns=1, source_name="good")
    import xxhash
    checksum = xxhash.xxh3_64_intdigest(b"ok")
    state = wire.SourceState("fake", ("k",), "k", True, True, 1)
    answers = [
        (dataclasses.replace(good, sequence=1), checksum, b"no"),  # damaged in transit
        (dataclasses.replace(good, sequence=2, mode="P", palette_mode="RGB", palette=b"\x00" * 5), checksum, b"ok"),
        (dataclasses.replace(good, sequence=3), checksum, b"ok"),
    ]
    try:
        for header, digest, payload in answers:
            peer, *request = router.recv_multipart()
            while wire.decode_request(request).after == (1, 3, 1):
                peer, *request = router.recv_multipart()
            number = wire.decode_request(request).number
            parts = wire.encode_frame(wire.FrameMeta("k", good, digest, "none", number, 0.0, 0.0, state), payload)
            data = json.loads(parts[1])
            data["header"] = wire.header_to_json(header)
            parts[1] = json.dumps(data).encode()
            router.send_multipart([peer, *parts])
            if header.sequence < 3:
                router.send_multipart([peer, *wire.encode_state(state)])
        eventually(lambda: b.describe("lied-to") is not None, what="the good image")
        assert b.describe("lied-to")["sequence"] == 3
        eventually(lambda: any("dropped image 1" in line for line in puller.errors), what="the damaged image's line")
        assert any("bad" in line and "descriptor" in line for line in puller.errors), puller.errors
    finally:
        router.close()
        context.term()
