"""The bridge's messages and addresses, without processes: what the far end may send is refused with a
reason, and an image's fields cross one by one. (tests/bridge/test_bridge_hostile.py sends such messages to
a real puller.)"""

from __future__ import annotations

import dataclasses
import json

import pytest

from imgshare.bridge import wire
from imgshare.bridge.address import parse_address
from imgshare.bridge.compression import Compressor, Decompressor
from imgshare.bridge.frames import ImageMeta
from imgshare.exit_codes import UsageError

_IMAGE = ImageMeta(width=3, height=2, mode="P", epoch=(1 << 64) - 5, sequence=7, timestamp=1_700_000_000.123456,
                   source_name="ü.png", stride=4, sender_pid=42, palette_mode="RGBA", palette=bytes(range(16)),
                   transparency=None, tags={"exposure_us": 8000, "lens": {"f": 2.8, "name": "ü"}})


@pytest.mark.parametrize(("mode", "bgr", "transparency"), [
    ("P", False, None), ("P", False, 3), ("P", False, b"\x00\x80"), ("RGB", True, (1, 2, 65535)),
    ("RGBA;16", True, None),
])
def test_an_image_crosses_field_by_field(mode, bgr, transparency):
    image = dataclasses.replace(_IMAGE, mode=mode, bgr=bgr, transparency=transparency, converted=True,
                                source_mode="CMYK")
    if mode != "P":
        image = dataclasses.replace(image, palette_mode="", palette=b"")
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
    {"bgr": True},  # OpenCV's order on a palette image
])
def test_bad_image_fields_are_refused_with_a_reason(change):
    data = wire.image_to_json(_IMAGE) | change
    with pytest.raises(wire.WireError, match="a (frame|message) (with|of) "):
        wire.image_from_json(data)


def _frame_json(**change: object) -> bytes:
    parts = wire.encode_frame(wire.FrameMeta("k", _IMAGE, 99, "none", 3, 0.5, 0.01, 4, None), b"")
    return json.dumps(json.loads(parts[1]) | change).encode()


@pytest.mark.parametrize(("parts", "reason"), [
    ([wire.envelope(wire.Kind.FRAME), _frame_json()], "wrong shape"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json(missed=-1), b""], "bad 'missed'"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json(missed=1 << 64), b""], "bad 'missed'"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json(checksum=-1), b""], "bad 'checksum'"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json(waited="soon"), b""], "bad 'waited'"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json().replace(b'"age": 0.01', b'"age": NaN'), b""], "not JSON"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json().replace(b'"waited": 0.5', b'"waited": -Infinity'), b""],
     "not JSON"),
    ([wire.envelope(wire.Kind.FRAME), _frame_json(image=None), b""], "without its image"),
])
def test_bad_frames_are_refused_with_a_reason(parts, reason):
    with pytest.raises(wire.WireError, match=reason):
        wire.decode_frame_meta(parts)


def test_deeply_nested_metadata_is_refused_not_a_crash():
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.decode_frame_meta([wire.envelope(wire.Kind.FRAME), b"[" * 30_000 + b"]" * 30_000, b""])


@pytest.mark.parametrize("parts", [
    [], [b"junk"], [b"IMGB\x01R", b"{}"], [b"IMGB\x02Z", b"{}"], [b"IMGB\x02R", b"\xff\xfe"],
    [b"IMGB\x02R", b"[1]"], [b"IMGB\x02R", b'{"key": 5, "after": null, "number": 1}'],
    [b"IMGB\x02R", b'{"key": null, "after": [1, 2, 3], "number": 1}'], [b"IMGB\x02R", b"x" * 70000],
    [b"IMGB\x02R", b'{"key": null, "after": null, "number": NaN}'], [b"IMGB\x02R", b"{}", b"extra"],
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
