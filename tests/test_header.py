"""The header layout: round trips, and validation of every field against hostile bytes."""

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgshare.ipc import header as hdr
from imgshare.ipc.errors import CorruptSegmentError, ForeignSegmentError


def sample(**changes) -> hdr.Header:
    fields = dict(sequence=5, width=333, height=77, mode="RGB", stride=999, payload_length=999 * 77,
                  checksum=0x1234, sender_pid=4242, sender_start=99, timestamp_ns=1_700_000_000_000_000_000,
                  key="169254", source_name="photo.png", source_mode="RGB")
    fields.update(changes)
    return hdr.Header(**fields)


SEGMENT = hdr.HEADER_SIZE + 999 * 77


def test_round_trip():
    h = sample(mode="P", stride=333, payload_length=333 * 77, palette_mode="RGB", palette=bytes(range(48)),
               transparency_kind=hdr.TRANSPARENCY_ALPHA, transparency_alpha=b"\x00\x80\xff",
               flags=hdr.FLAG_CONVERTED, source_mode="PA", key="ключ", source_name="été.png")
    assert hdr.unpack_header(hdr.pack_header(h), SEGMENT) == h


def test_layout_offsets_are_the_documented_ones():
    raw = hdr.pack_header(sample())
    assert raw[:8] == b"IMGSHARE"
    assert struct.unpack_from("<HH", raw, 8) == (1, 4096)
    assert struct.unpack_from("<Q", raw, 16)[0] == 5
    assert struct.unpack_from("<III", raw, 24) == (333, 77, 999)
    assert struct.unpack_from("<Q", raw, 40)[0] == 999 * 77
    assert struct.unpack_from("<I", raw, 56)[0] == 4242
    assert raw[80:83] == b"RGB"
    assert struct.unpack_from("<H", raw, 112)[0] == 6 and raw[256:262] == b"169254"
    assert raw[512:521] == b"photo.png"
    zeroed = bytearray(raw)
    zeroed[60:64] = bytes(4)
    assert struct.unpack_from("<I", raw, 60)[0] == zlib.crc32(zeroed)


def test_long_source_name_is_cut_on_a_character_boundary():
    h = hdr.unpack_header(hdr.pack_header(sample(source_name="é" * 300)), SEGMENT)
    assert h.source_name == "é" * 127


def test_foreign_bytes_are_foreign():
    with pytest.raises(ForeignSegmentError):
        hdr.unpack_header(b"\x7fELF" + bytes(5000), 5004)


def reseal(raw: bytearray) -> bytes:
    """Recompute the header CRC so a test reaches the field checks behind it."""
    raw[60:64] = bytes(4)
    struct.pack_into("<I", raw, 60, zlib.crc32(raw))
    return bytes(raw)


@pytest.mark.parametrize("offset,fmt,value,segment", [
    (8, "<H", 2, SEGMENT),  # version
    (10, "<H", 100, SEGMENT),  # header size
    (12, "<I", 0x80, SEGMENT),  # unknown flag
    (24, "<I", 0, SEGMENT),  # width 0
    (28, "<I", 70000, SEGMENT),  # height over the cap
    (32, "<I", 998, SEGMENT),  # stride too small
    (40, "<Q", 999 * 77 + 1, SEGMENT),  # payload length lies
    (36, "<I", 9, SEGMENT),  # unknown checksum kind
    (112, "<H", 0, SEGMENT),  # empty key
    (112, "<H", 300, SEGMENT),  # key too long
    (116, "<H", 1025, SEGMENT),  # palette too long
    (118, "<B", 9, SEGMENT),  # unknown transparency kind
    (0, "<B", ord("I"), hdr.HEADER_SIZE + 10),  # payload past the end of the segment
])
def test_each_field_is_checked(offset, fmt, value, segment):
    raw = bytearray(hdr.pack_header(sample()))
    if offset:
        struct.pack_into(fmt, raw, offset, value)
    with pytest.raises(CorruptSegmentError) as caught:
        hdr.unpack_header(reseal(raw), segment)
    assert not isinstance(caught.value, ForeignSegmentError)


def test_bad_mode_and_bad_utf8_are_corrupt():
    raw = bytearray(hdr.pack_header(sample()))
    raw[80:96] = b"CMYK".ljust(16, b"\0")
    with pytest.raises(CorruptSegmentError):
        hdr.unpack_header(reseal(raw), SEGMENT)
    raw = bytearray(hdr.pack_header(sample()))
    raw[256:258] = b"\xff\xfe"
    with pytest.raises(CorruptSegmentError):
        hdr.unpack_header(reseal(raw), SEGMENT)


def test_crc_catches_any_flipped_byte():
    raw = bytearray(hdr.pack_header(sample()))
    raw[3000] ^= 1
    with pytest.raises(CorruptSegmentError, match="checksum"):
        hdr.unpack_header(bytes(raw), SEGMENT)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=4200), st.integers(min_value=0, max_value=1 << 40))
def test_random_bytes_give_a_typed_error_or_a_valid_header(data, segment_size):
    try:
        h = hdr.unpack_header(data, segment_size)
    except CorruptSegmentError:
        return
    assert h.header_size + h.payload_length <= segment_size


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=20),
       st.booleans())
def test_mutated_headers_give_a_typed_error_or_stay_in_bounds(edits, keep_crc):
    raw = bytearray(hdr.pack_header(sample()))
    for offset, value in edits:
        raw[offset] = value
    data = reseal(raw) if keep_crc else bytes(raw)
    try:
        h = hdr.unpack_header(data, SEGMENT)
    except CorruptSegmentError:
        return
    assert h.payload_length == h.stride * h.height
    assert h.header_size + h.payload_length <= SEGMENT
    assert len(h.key.encode()) <= 255 and len(h.palette) <= 1024
