"""The protocol-2 layout: control blocks and slot descriptors round-trip, sit at the documented offsets,
and refuse hostile bytes with typed errors (docs/protocol.md, section 3)."""

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr
from imgshare.ipc.errors import CorruptSegmentError, ForeignSegmentError, UnsupportedFormatError
from tests.helpers.layout import reseal_control, reseal_descriptor

CAPACITY = 999 * 77


def sample(**changes) -> hdr.Header:
    fields = dict(sequence=5, width=333, height=77, mode="RGB", stride=999, payload_length=999 * 77,
                  checksum=0x1234, sender_pid=4242, sender_start=99, timestamp_ns=1_700_000_000_000_000_000,
                  source_name="photo.png", source_mode="RGB")
    fields.update(changes)
    return hdr.Header(**fields)


def control_sample(**changes) -> ctl.Control:
    slots, _ = ctl.plan_slots([CAPACITY] * 3)
    fields = dict(key="169254", slots=slots, published=1, owner_pid=4242, owner_start=99)
    fields.update(changes)
    return ctl.Control(**fields)


SEGMENT = ctl.plan_slots([CAPACITY] * 3)[1]


def test_descriptor_round_trip_with_a_256_entry_transparency_table():
    alpha = bytes(range(256))
    h = sample(mode="P", stride=333, payload_length=333 * 77, palette_mode="RGB", palette=bytes(range(256)) * 3,
               transparency_kind=hdr.Transparency.ALPHA, transparency_alpha=alpha,
               flags=hdr.FLAG_CONVERTED, source_mode="PA", source_name="été.png")
    back = hdr.unpack_header(hdr.pack_header(h), CAPACITY)
    assert back == h and len(back.transparency_alpha) == 256


def test_descriptor_offsets_are_the_documented_ones():
    raw = hdr.pack_header(sample(flags=hdr.FLAG_BGR, checksum_kind=hdr.ChecksumKind.NONE, checksum=0))
    assert struct.unpack_from("<Q", raw, 0)[0] == 5
    assert struct.unpack_from("<IIIII", raw, 8) == (333, 77, 999, hdr.FLAG_BGR, 0)
    assert struct.unpack_from("<QQI", raw, 32) == (999 * 77, 0, 4242)
    assert struct.unpack_from("<Q", raw, 56)[0] == 99
    assert raw[72:75] == b"RGB" and raw[88:91] == b"RGB" and raw[104:112] == bytes(8)
    assert struct.unpack_from("<H", raw, 112)[0] == 9 and raw[256:265] == b"photo.png"
    zeroed = bytearray(raw)
    zeroed[28:32] = bytes(4)
    assert struct.unpack_from("<I", raw, 28)[0] == zlib.crc32(zeroed)


def test_control_offsets_are_the_documented_ones():
    raw = ctl.pack_control(control_sample())
    assert raw[:8] == b"IMGSHARE" and struct.unpack_from("<HHIIII", raw, 8) == (2, 4096, 3, 1, 0, 4242)
    assert struct.unpack_from("<Q", raw, 32)[0] == 99
    first = 4096 * 4
    assert struct.unpack_from("<QQ", raw, 64) == (first, ctl.round_up(CAPACITY))
    assert struct.unpack_from("<QQ", raw, 80) == (first + ctl.round_up(CAPACITY), ctl.round_up(CAPACITY))
    assert struct.unpack_from("<H", raw, 192)[0] == 6 and raw[256:262] == b"169254"
    zeroed = bytearray(raw)
    zeroed[16:48] = bytes(32)
    assert struct.unpack_from("<I", raw, 28)[0] == zlib.crc32(zeroed)
    assert ctl.unpack_control(raw, SEGMENT, "169254") == control_sample()


def test_the_mutable_words_are_outside_the_control_crc():
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into("<IIIIQ", raw, 16, 2, ctl.FLAG_PERSISTED, 777, struct.unpack_from("<I", raw, 28)[0], 5)
    back = ctl.unpack_control(bytes(raw), SEGMENT, "169254")
    assert (back.published, back.persisted, back.owner_pid, back.owner_start) == (2, True, 777, 5)


def test_nothing_published_and_the_key_check():
    raw = ctl.pack_control(control_sample(published=None))
    assert struct.unpack_from("<I", raw, 16)[0] == 0xFFFFFFFF
    assert ctl.unpack_control(raw, SEGMENT, "169254").published is None
    with pytest.raises(ForeignSegmentError, match="collides"):
        ctl.unpack_control(raw, SEGMENT, "another key")


def test_long_source_name_is_cut_on_a_character_boundary():
    h = hdr.unpack_header(hdr.pack_header(sample(source_name="é" * 300)), CAPACITY)
    assert h.source_name == "é" * 127


def test_foreign_bytes_are_foreign_and_other_versions_are_named():
    with pytest.raises(ForeignSegmentError):
        ctl.unpack_control(b"\x7fELF" + bytes(5000), 5004, None)
    for version in (1, 3):
        raw = bytearray(ctl.pack_control(control_sample()))
        struct.pack_into("<H", raw, 8, version)
        with pytest.raises(UnsupportedFormatError, match=f"format {version}"):
            ctl.unpack_control(bytes(raw), SEGMENT, None)


@pytest.mark.parametrize("offset,fmt,value", [
    (0, "<Q", 0),  # sequence 0
    (8, "<I", 0),  # width 0
    (12, "<I", 70000),  # height over the cap
    (16, "<I", 998),  # stride too small
    (20, "<I", 0x80),  # unknown flag
    (20, "<I", hdr.FLAG_BGR),  # BGR on an L image (the sample is made L for this one)
    (24, "<I", 9),  # unknown checksum kind
    (32, "<Q", 999 * 77 + 1),  # payload length lies
    (112, "<H", 300),  # source name too long
    (114, "<H", 3),  # a palette on an RGB image
    (116, "<H", 9),  # unknown transparency kind
    (116, "<H", 3),  # alpha table on RGB
    (118, "<H", 2),  # kind 0 with a length
])
def test_each_descriptor_field_is_checked(offset, fmt, value):
    h = sample(mode="L", stride=333, payload_length=333 * 77) if value == hdr.FLAG_BGR else sample()
    raw = bytearray(hdr.pack_header(h))
    struct.pack_into(fmt, raw, offset, value)
    with pytest.raises(CorruptSegmentError) as caught:
        hdr.unpack_header(reseal_descriptor(raw), CAPACITY)
    assert not isinstance(caught.value, ForeignSegmentError)


def test_payload_larger_than_its_slot_is_refused():
    with pytest.raises(CorruptSegmentError, match="larger than its slot"):
        hdr.unpack_header(hdr.pack_header(sample()), CAPACITY - 1)


@pytest.mark.parametrize("offset,fmt,value", [
    (10, "<H", 100),  # control size
    (12, "<I", 1),  # too few slots
    (12, "<I", 9),  # too many slots
    (64, "<Q", 4096),  # slot 0 over the descriptors
    (64, "<Q", 4096 * 4 + 1),  # misaligned
    (72, "<Q", 1 << 40),  # past the end of the segment
    (80, "<Q", 4096 * 4),  # slot 1 overlaps slot 0
    (112, "<Q", 8192 * 1024),  # an entry beyond the slot count
    (192, "<H", 0),  # empty key
    (192, "<H", 300),  # key too long
])
def test_each_control_field_is_checked(offset, fmt, value):
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into(fmt, raw, offset, value)
    with pytest.raises(CorruptSegmentError) as caught:
        ctl.unpack_control(reseal_control(raw), SEGMENT, None)
    assert not isinstance(caught.value, ForeignSegmentError)


@pytest.mark.parametrize("published", [3, 8, 0xFFFFFFFE])
def test_published_slot_out_of_range_is_damage(published):
    raw = bytearray(ctl.pack_control(control_sample()))
    struct.pack_into("<I", raw, 16, published)
    with pytest.raises(CorruptSegmentError, match="published slot"):
        ctl.unpack_control(bytes(raw), SEGMENT, None)


@pytest.mark.parametrize("mode,kind,values,alpha,allowed", [
    ("RGB", hdr.Transparency.COLOUR, (1, 2, 3), b"", True),
    ("RGB", hdr.Transparency.COLOUR, (1, 2, 3, 4), b"", False),
    ("RGB", hdr.Transparency.VALUE, (1,), b"", False),
    ("RGBA", hdr.Transparency.VALUE, (1,), b"", False),
    ("P", hdr.Transparency.ALPHA, (), bytes(256), True),
    ("P", hdr.Transparency.ALPHA, (), bytes(257), False),
    ("L", hdr.Transparency.VALUE, (256,), b"", False),
    ("I;16", hdr.Transparency.VALUE, (65535,), b"", True),
    ("F", hdr.Transparency.VALUE, (0,), b"", False),
])
def test_transparency_kinds_by_mode(mode, kind, values, alpha, allowed):
    assert hdr.transparency_allowed(mode, kind, values, alpha) is allowed


def test_crc_catches_any_flipped_byte():
    raw = bytearray(hdr.pack_header(sample()))
    raw[3000] ^= 1
    with pytest.raises(CorruptSegmentError, match="checksum"):
        hdr.unpack_header(bytes(raw), CAPACITY)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=4200), st.integers(min_value=0, max_value=1 << 40))
def test_random_bytes_give_a_typed_error_or_a_bounded_descriptor(data, capacity):
    try:
        h = hdr.unpack_header(data, capacity)
    except CorruptSegmentError:
        return
    assert h.payload_length <= capacity


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=20),
       st.booleans())
def test_mutated_descriptors_give_a_typed_error_or_stay_in_bounds(edits, keep_crc):
    raw = bytearray(hdr.pack_header(sample()))
    for offset, value in edits:
        raw[offset] = value
    data = reseal_descriptor(raw) if keep_crc else bytes(raw)
    try:
        h = hdr.unpack_header(data, CAPACITY)
    except CorruptSegmentError:
        return
    assert h.payload_length == h.stride * h.height <= CAPACITY
    assert len(h.palette) <= 1024 and len(h.transparency_alpha) <= 256


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=20),
       st.booleans(), st.integers(min_value=0, max_value=1 << 36))
def test_mutated_control_blocks_give_a_typed_error_or_slots_inside_the_segment(edits, keep_crc, size):
    raw = bytearray(ctl.pack_control(control_sample()))
    for offset, value in edits:
        raw[offset] = value
    data = reseal_control(raw) if keep_crc else bytes(raw)
    try:
        c = ctl.unpack_control(data, size, None)
    except CorruptSegmentError:
        return
    assert 2 <= c.slot_count <= 8 and (c.published is None or c.published < c.slot_count)
    spans = sorted((offset, offset + capacity) for offset, capacity in c.slots if capacity)
    assert all(end <= size for _, end in spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert all(offset >= 4096 * (1 + c.slot_count) for offset, _ in c.slots)
