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
from imgshare.bridge.frames import ImageMeta
from imgshare.exit_codes import UsageError
from tests.bridge.hosts import eventually, free_port

_IMAGE = ImageMeta(width=3, height=2, mode="P", epoch=(1 << 64) - 5, sequence=7, timestamp=1_700_000_000.123456,
                   source_name="ü.png", stride=4, sender_pid=42, palette_mode="RGBA", palette=bytes(range(16)),
                   transparency=None, tags={"exposure_us": 8000, "lens": {"f": 2.8, "name": "ü"}})


@pytest.mark.parametrize("transparency", [None, 3, (1, 2, 65535), b"\x00\x80"])
def test_an_image_crosses_field_by_field(transparency):
    image = dataclasses.replace(_IMAGE, transparency=transparency, bgr=True, converted=True, source_mode="CMYK")
    meta = wire.FrameMeta("k", image, 99, "none", 3, 0.5, 0.01, 4, None)
    parts = wire.encode_frame(meta, b"x" * 6)
    assert wire.kind_of(parts) is wire.Kind.FRAME
    back = wire.decode_frame_meta(parts)
    assert back == meta
    assert back.image.tags == image.tags and back.image.transparency == transparency


@pytest.mark.parametrize("change", [
    {"mode": "CMYK"}, {"width": 0}, {"height": 65537}, {"palette": "zz"}, {"palette": "00" * 5},
    {"transparency": {"kind": 9}}, {"transparency": {"colour": [1, 2]}}, {"sequence": True}, {"sequence": 0},
    {"epoch": -1}, {"source_name": 5}, {"tags": [1]}, {"tags": {"x": "y" * 5000}},
])
def test_bad_image_fields_are_refused_with_a_reason(change):
    data = wire.image_to_json(_IMAGE) | change
    with pytest.raises(wire.WireError, match="a (frame|message) (with|of) "):
        wire.image_from_json(data)


def test_deeply_nested_metadata_is_refused_not_a_crash():
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.decode_frame_meta([wire.envelope(wire.Kind.FRAME), b"[" * 30_000 + b"]" * 30_000, b""])


@pytest.mark.parametrize("parts", [
    [], [b"junk"], [b"IMGB\x01R", b"{}"], [b"IMGB\x02Z", b"{}"], [b"IMGB\x02R", b"\xff\xfe"],
    [b"IMGB\x02R", b"[1]"], [b"IMGB\x02R", b'{"key": 5, "after": null, "number": 1}'],
    [b"IMGB\x02R", b'{"key": null, "after": [1, 2, 3], "number": 1}'], [b"IMGB\x02R", b"x" * 70000],
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
    """A fake server answers the puller's requests: a payload that does not match its checksum and
    image fields that do not hold together never reach the key; a good image after them does."""
    _, b = hosts
    port = free_port()
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.linger = 0
    router.bind(f"tcp://127.0.0.1:{port}")
    puller = b.imgshare("bridge", "pull", f"tcp://127.0.0.1:{port}/k", "--key", "lied-to")
    good = ImageMeta(width=2, height=1, mode="L", epoch=5, sequence=1, timestamp=1.0, source_name="good")
    import xxhash
    checksum = xxhash.xxh3_64_intdigest(b"ok")
    state = wire.SourceState("fake", ("k",), "k", True, True, 1)
    answers = [
        (dataclasses.replace(good, sequence=1), checksum, b"no", {}),  # damaged in transit
        (dataclasses.replace(good, sequence=2), checksum, b"ok", {"mode": "P", "palette_mode": "RGB",
                                                                 "palette": "00" * 5}),  # refused fields
        (dataclasses.replace(good, sequence=3), checksum, b"ok", {}),
    ]
    try:
        for image, digest, payload, lie in answers:
            peer, *request = router.recv_multipart()
            while wire.decode_request(request).after == (5, 3):
                peer, *request = router.recv_multipart()
            number = wire.decode_request(request).number
            parts = wire.encode_frame(wire.FrameMeta("k", image, digest, "none", number, 0.0, 0.0, 0, state), payload)
            data = json.loads(parts[1])
            data["image"] |= lie
            parts[1] = json.dumps(data).encode()
            router.send_multipart([peer, *parts])
            if image.sequence < 3:
                router.send_multipart([peer, *wire.encode_state(state)])
        eventually(lambda: b.describe("lied-to") is not None, what="the good image")
        assert b.describe("lied-to")["sequence"] == 3
        eventually(lambda: any("dropped image 1" in line for line in puller.errors), what="the damaged image's line")
        assert any("bad 'palette'" in line for line in puller.errors), puller.errors
    finally:
        router.close()
        context.term()
