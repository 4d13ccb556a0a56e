"""The protocol-3 byte layouts: control blocks, slot descriptors and tags round-trip, sit at the
documented offsets, and refuse hostile bytes with typed errors in the documented order (docs/protocol.md
§5, §7.2, §8, §9). Pure: no System V object is made here."""

import json
import struct
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgshare.ipc.errors import (
    BlankSegmentError,
    CorruptSegmentError,
    ForeignSegmentError,
    KeyCollisionError,
    UnsupportedFormatError,
)
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout import descriptor as dsc
from imgshare.ipc.layout.tags import MAX_TAG_BYTES, TagsProblem, encode_tags, parse_tags
from tests.helpers.layout import reseal_control, reseal_descriptor

CAPACITY = 999 * 77
EPOCH, GENERATION = 0xABCDEF0123456789, 7


def sample(**changes) -> dsc.Descriptor:
    fields: dict[str, Any] = dict(
        epoch=EPOCH, generation=GENERATION, sequence=5, width=333, height=77, mode="RGB", stride=999,
        payload_length=999 * 77, checksum=0x1234, sender_pid=4242, timestamp_ns=1_700_000_000_000_000_000,
        source_name="photo.png")
    fields.update(changes)
    return dsc.Descriptor(**fields)


def unpack(raw: bytes, capacity: int = CAPACITY) -> dsc.Descriptor:
    return dsc.unpack_descriptor(raw, capacity, EPOCH, GENERATION, "169254")


def control_sample(**changes) -> ctl.Control:
    fields: dict[str, Any] = dict(
        key="169254", slot_count=3, epoch=EPOCH, published=1, flags=ctl.FLAG_SERVING, owner_pid=4242,
        owner_token=99, sequence=12, generation=3,
        slots=(ctl.Slot(1, 100), ctl.Slot(2, 200), ctl.Slot(3, 300)))
    fields.update(changes)
    return ctl.Control(**fields)


def test_descriptor_round_trip_with_a_256_entry_transparency_table_and_tags():
    alpha = bytes(range(256))
    tags = json.dumps({"exposure": 8000, "name": "été"}).encode()
    d = sample(mode="P", stride=333, payload_length=333 * 77, palette_mode="RGB", palette=bytes(range(256)) * 3,
               transparency_kind=dsc.Transparency.ALPHA, transparency_alpha=alpha, flags=dsc.FLAG_CONVERTED,
               source_mode="PA", source_name="été.png", tags_json=tags)
    back = unpack(dsc.pack_descriptor(d))
    assert back == d and len(back.transparency_alpha) == 256 and back.tags == {"exposure": 8000, "name": "été"}


def test_descriptor_offsets_are_the_documented_ones():
    raw = dsc.pack_descriptor(sample(flags=dsc.FLAG_BGR, checksum_kind=dsc.ChecksumKind.NONE, checksum=0,
                                     tags_json=b'{"a":1}'))
    assert raw[:8] == b"IMGSDATA" and struct.unpack_from("<HH", raw, 8) == (3, 8192)
    assert struct.unpack_from("<QQ", raw, 16) == (EPOCH, GENERATION)
    assert struct.unpack_from("<Q", raw, 40)[0] == 5
    assert struct.unpack_from("<IIII", raw, 48) == (333, 77, 999, dsc.FLAG_BGR)
    assert struct.unpack_from("<QII", raw, 64) == (999 * 77, 0, 4242)
    assert raw[96:99] == b"RGB" and raw[112:128] == bytes(16) and raw[128:136] == bytes(8)
    assert struct.unpack_from("<H", raw, 136)[0] == 9 and raw[256:265] == b"photo.png"
    assert struct.unpack_from("<H", raw, 160)[0] == 7 and raw[4096:4103] == b'{"a":1}'
    zeroed = bytearray(raw)
    zeroed[32:40] = bytes(8)
    assert struct.unpack_from("<I", raw, 36)[0] == zlib.crc32(zeroed)


def test_control_offsets_are_the_documented_ones():
    raw = ctl.pack_control(control_sample())
    assert raw[:8] == b"IMGSHARE" and struct.unpack_from("<HHIQH", raw, 8) == (3, 4096, 3, EPOCH, 6)
    assert struct.unpack_from("<III", raw, 64) == (1, ctl.FLAG_SERVING, 4242)
    assert struct.unpack_from("<QQQQ", raw, 80) == (99, 12, 3, 0)
    assert struct.unpack_from("<QI", raw, 128) == (1, 100) and struct.unpack_from("<QI", raw, 144) == (2, 200)
    assert raw[512:518] == b"169254"
    zeroed = bytearray(raw)
    zeroed[28:32] = bytes(4)
    zeroed[64:512] = bytes(448)
    assert struct.unpack_from("<I", raw, 28)[0] == zlib.crc32(zeroed)
    assert ctl.unpack_control(raw, 4096, "169254") == control_sample()


def test_the_mutable_area_is_outside_the_control_crc():
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into("<III", raw, 64, 2, ctl.FLAG_PERSISTED, 777)
    struct.pack_into("<QI", raw, 160, 9, 901)
    back = ctl.unpack_control(bytes(raw), 4096, "169254")
    assert (back.published, back.persisted, back.owner_pid, back.slots[2]) == (2, True, 777, ctl.Slot(9, 901))


def test_the_documented_order_of_the_first_checks():
    good = ctl.pack_control(control_sample())
    with pytest.raises(BlankSegmentError):
        ctl.unpack_control(bytes(4096), 4096, "k")
    with pytest.raises(ForeignSegmentError):
        ctl.unpack_control(bytes(100), 100, "k")  # zeros, but not 4096 bytes: not blank
    with pytest.raises(ForeignSegmentError):
        ctl.unpack_control(b"\x7fELF" + bytes(5000), 5004, None)
    with pytest.raises(CorruptSegmentError, match="8 bytes"):
        ctl.unpack_control(good[:8], 8, None)  # our magic, no version: damaged (never struct.error)
    for version, word in ((1, "older"), (2, "older"), (4, "newer")):
        raw = bytearray(good)
        struct.pack_into("<H", raw, 8, version)
        with pytest.raises(UnsupportedFormatError, match=f"{word} imgshare \\(format {version}\\)"):
            ctl.unpack_control(bytes(raw), 4096, None)  # before the CRC, which the version change broke
    with pytest.raises(KeyCollisionError, match="collides with imgshare key '169254'"):
        ctl.unpack_control(good, 4096, "another key")


def test_long_source_name_is_cut_on_a_character_boundary():
    assert unpack(dsc.pack_descriptor(sample(source_name="é" * 300))).source_name == "é" * 127


@pytest.mark.parametrize("offset,fmt,value,why", [
    (40, "<Q", 0, "sequence 0"),
    (48, "<I", 0, "dimensions"),
    (52, "<I", 70000, "dimensions"),
    (56, "<I", 998, "stride"),
    (60, "<I", 0x80, "flags"),
    (72, "<I", 9, "checksum kind 9"),
    (80, "<Q", 5, None),  # the sample has kind 1: any checksum is allowed, no error
    (64, "<Q", 999 * 77 + 1, "payload_length"),
    (136, "<H", 300, "source_length"),
    (138, "<H", 3, "palette on a RGB"),
    (140, "<H", 9, "unknown transparency kind 9"),
    (140, "<H", 3, "transparency kind 3 is not allowed for mode RGB"),
    (142, "<H", 2, "transparency_length 2 with kind 0"),
    (144, "<I", 7, "transparency values set for a kind that has none"),
    (160, "<H", 4097, "tags_length 4097"),
    (24, "<Q", 8, "generation 8"),
    (16, "<Q", 1, "another epoch"),
])
def test_each_descriptor_field_is_checked_with_a_message_naming_it(offset, fmt, value, why):
    raw = bytearray(dsc.pack_descriptor(sample()))
    struct.pack_into(fmt, raw, offset, value)
    if why is None:
        unpack(reseal_descriptor(raw))
        return
    with pytest.raises(CorruptSegmentError, match=why) as caught:
        unpack(reseal_descriptor(raw))
    assert not isinstance(caught.value, ForeignSegmentError)


def test_misleading_messages_of_protocol_2_are_gone():
    raw = bytearray(dsc.pack_descriptor(sample(checksum_kind=dsc.ChecksumKind.NONE, checksum=0)))
    struct.pack_into("<Q", raw, 80, 5)
    with pytest.raises(CorruptSegmentError, match=r"checksum kind 0 \(none\) with a non-zero checksum"):
        unpack(reseal_descriptor(raw))
    grey = sample(mode="L", stride=333, payload_length=333 * 77, transparency_kind=dsc.Transparency.VALUE,
                  transparency_values=(5,))
    raw = bytearray(dsc.pack_descriptor(grey))
    struct.pack_into("<I", raw, 144, 300)
    with pytest.raises(CorruptSegmentError, match="transparency value 300 is outside 0..255 for mode L"):
        unpack(reseal_descriptor(raw))


def test_payload_larger_than_its_data_segment_is_refused():
    with pytest.raises(CorruptSegmentError, match="larger than its data segment"):
        unpack(dsc.pack_descriptor(sample()), CAPACITY - 1)


@pytest.mark.parametrize("offset,fmt,value", [
    (10, "<H", 100),  # control size
    (12, "<I", 1),  # too few slots
    (12, "<I", 9),  # too many slots
    (16, "<Q", 0),  # epoch 0
    (24, "<H", 0),  # empty key
    (24, "<H", 300),  # key too long
])
def test_each_immutable_control_field_is_checked(offset, fmt, value):
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into(fmt, raw, offset, value)
    with pytest.raises(CorruptSegmentError) as caught:
        ctl.unpack_control(reseal_control(raw), 4096, None)
    assert not isinstance(caught.value, ForeignSegmentError)


@pytest.mark.parametrize("offset,fmt,value", [(68, "<I", 4), (128 + 16 * 5, "<Q", 1), (104, "<Q", 3 << 32)])
def test_mutable_control_words_are_checked_by_range(offset, fmt, value):
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into(fmt, raw, offset, value)
    with pytest.raises(CorruptSegmentError):
        ctl.unpack_control(bytes(raw), 4096, None)


@pytest.mark.parametrize("published", [3, 8, 0xFFFFFFFE])
def test_the_published_hint_is_never_an_error(published):
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into("<I", raw, 64, published)
    assert ctl.unpack_control(bytes(raw), 4096, None).published == published


@pytest.mark.parametrize("mode,palette_mode,kind,values,alpha,allowed", [
    ("RGB", "", dsc.Transparency.COLOUR, (1, 2, 3), 0, True),
    ("RGB", "", dsc.Transparency.COLOUR, (1, 2, 3, 4), 0, False),
    ("RGB", "", dsc.Transparency.VALUE, (1,), 0, False),
    ("RGB;16", "", dsc.Transparency.COLOUR, (65535, 0, 300), 0, True),
    ("RGBA;16", "", dsc.Transparency.COLOUR, (1, 2, 3), 0, False),
    ("RGBA", "", dsc.Transparency.VALUE, (1,), 0, False),
    ("P", "RGB", dsc.Transparency.ALPHA, (), 256, True),
    ("P", "RGB", dsc.Transparency.ALPHA, (), 257, False),
    ("P", "RGBA", dsc.Transparency.ALPHA, (), 4, False),
    ("P", "RGBA", dsc.Transparency.VALUE, (1,), 0, False),
    ("L", "", dsc.Transparency.VALUE, (256,), 0, False),
    ("I;16", "", dsc.Transparency.VALUE, (65535,), 0, True),
    ("F", "", dsc.Transparency.VALUE, (0,), 0, False),
])
def test_transparency_kinds_by_mode(mode, palette_mode, kind, values, alpha, allowed):
    assert (dsc.transparency_problem(mode, palette_mode, kind, values, alpha) is None) is allowed


def test_crc_catches_any_flipped_byte_but_the_seqlock_word():
    raw = bytearray(dsc.pack_descriptor(sample()))
    raw[3000] ^= 1
    with pytest.raises(CorruptSegmentError, match="CRC"):
        unpack(bytes(raw))
    raw = bytearray(dsc.pack_descriptor(sample()))
    struct.pack_into("<I", raw, 32, 77)  # write_count: mutable, outside the CRC
    assert unpack(bytes(raw)).write_count == 77


@pytest.mark.parametrize("raw,problem", [
    (b"[1]", "not an object"), (b'{"a":NaN}', "NaN"), (b'{"a":1,"a":2}', "twice"), (b"\xef\xbb\xbf{}", "byte-order"),
    (b'{"a":"\xff"}', "UTF-8"), (b'{"a":' + b"[" * 16 + b"]" * 16 + b"}", "deeper"), (b"{", "not JSON"),
    (b"{}" + b" " * 4095, "more than 4096"),
])
def test_tags_rules(raw, problem):
    with pytest.raises(TagsProblem, match=problem):
        parse_tags(raw)


def test_tags_encode_as_compact_utf8_and_refuse_what_readers_would():
    assert encode_tags({"é": [1, 2.5, None, True]}) == '{"é":[1,2.5,null,true]}'.encode()
    assert encode_tags(None) == b"" == encode_tags({})
    bad: Any
    for bad in ([1], {"a": float("nan")}, {"a": object()}, {"a": "x" * MAX_TAG_BYTES}, {1: 1, "1": 2},
                {"a": "\ud800"}):
        with pytest.raises(TagsProblem):
            encode_tags(bad)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=MAX_TAG_BYTES + 10))
def test_random_tags_bytes_parse_to_an_object_or_a_typed_problem(raw):
    try:
        tags = parse_tags(raw)
    except TagsProblem:
        return
    assert isinstance(tags, dict) and len(raw) <= MAX_TAG_BYTES


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=8300), st.integers(min_value=0, max_value=1 << 40))
def test_random_bytes_give_a_typed_error_or_a_bounded_descriptor(data, capacity):
    try:
        d = unpack(data, capacity)
    except CorruptSegmentError:
        return
    assert d.payload_length <= capacity


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8191), st.integers(0, 255)), min_size=1, max_size=20), st.booleans())
def test_mutated_descriptors_give_a_typed_error_or_stay_in_bounds(edits, keep_crc):
    raw = bytearray(dsc.pack_descriptor(sample(tags_json=b'{"k":[1,2]}')))
    for offset, value in edits:
        raw[offset] = value
    data = reseal_descriptor(raw) if keep_crc else bytes(raw)
    try:
        d = unpack(data)
    except CorruptSegmentError:
        return
    assert d.payload_length == d.stride * d.height <= CAPACITY
    assert len(d.palette) <= 1024 and len(d.transparency_alpha) <= 256 and len(d.tags_json) <= MAX_TAG_BYTES
    assert "/" not in d.source_name and all(ord(c) >= 0x20 for c in d.source_name)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=20),
       st.booleans(), st.sampled_from([0, 7, 8, 9, 19, 4095, 4096, 4097, 8192]))
def test_mutated_control_blocks_give_a_typed_error_or_a_sound_block(edits, keep_crc, size):
    raw = bytearray(ctl.pack_control(control_sample()))
    for offset, value in edits:
        raw[offset] = value
    data = (reseal_control(raw) if keep_crc else bytes(raw))[:size]
    try:
        c = ctl.unpack_control(data, size, None)
    except (CorruptSegmentError, BlankSegmentError):
        return
    assert size == 4096 and 2 <= c.slot_count <= 8 and c.epoch and len(c.slots) == c.slot_count
    assert c.flags & ~ctl.KNOWN_FLAGS == 0 and c.pending_state in (0, 1, 2)
