"""The segment header: the one owner of imgshare's wire contract (layout in docs/protocol.md).

A segment is a 4096-byte little-endian header followed by the raw pixels. Everything that reads or writes
the header goes through pack_header() and unpack_header(); unpack_header() trusts nothing it is given.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import CorruptSegmentError, ForeignSegmentError
from .modes import CARRIED_MODES, row_bytes

MAGIC = b"IMGSHARE"
VERSION = 1
HEADER_SIZE = 4096

# Flags (bit values of the u32 at offset 12).
FLAG_PERSISTED = 1  # the sender left on purpose; the share is not stale
FLAG_SUPERSEDED = 2  # a newer segment replaced this one under the key: reopen the key
FLAG_CONVERTED = 4  # the source's mode was not carried as is; source_mode names it
FLAG_WRITING = 8  # pixels are being rewritten in place; seen under the lock, the writer died
KNOWN_FLAGS = FLAG_PERSISTED | FLAG_SUPERSEDED | FLAG_CONVERTED | FLAG_WRITING

CHECKSUM_XXH3_64 = 1
MAX_DIMENSION = 65536
MAX_KEY_BYTES = 255
MAX_SOURCE_BYTES = 255
MAX_PALETTE_BYTES = 1024
MAX_ALPHA_BYTES = 256
MAX_STRIDE_PADDING = 4096

# Transparency kinds (u8 at offset 118).
TRANSPARENCY_NONE = 0
TRANSPARENCY_VALUE = 1  # one int: a palette index, or a grey value for L / I;16 / I
TRANSPARENCY_COLOUR = 2  # up to four ints: an RGB colour for RGB
TRANSPARENCY_ALPHA = 3  # bytes at KEY..: one alpha per palette index (PNG tRNS)

_FIXED = struct.Struct("<8sHHIQIIIIQQIIQq16s16sHHHBB8s4I")
assert _FIXED.size == 144
CRC_OFFSET = 60
KEY_OFFSET = 256
SOURCE_OFFSET = 512
ALPHA_OFFSET = 768
PALETTE_OFFSET = 1024


@dataclass(frozen=True)
class Header:
    """The decoded header of one share; field meanings are in docs/protocol.md."""

    sequence: int
    width: int
    height: int
    mode: str
    stride: int
    payload_length: int
    checksum: int
    sender_pid: int
    sender_start: int
    timestamp_ns: int
    key: str
    source_name: str = ""
    source_mode: str = ""
    flags: int = 0
    palette_mode: str = ""
    palette: bytes = b""
    transparency_kind: int = TRANSPARENCY_NONE
    transparency_values: tuple[int, ...] = ()
    transparency_alpha: bytes = b""
    checksum_kind: int = CHECKSUM_XXH3_64
    header_size: int = HEADER_SIZE
    version: int = VERSION

    @property
    def persisted(self) -> bool:
        return bool(self.flags & FLAG_PERSISTED)

    @property
    def superseded(self) -> bool:
        return bool(self.flags & FLAG_SUPERSEDED)

    @property
    def converted(self) -> bool:
        return bool(self.flags & FLAG_CONVERTED)

    @property
    def writing(self) -> bool:
        return bool(self.flags & FLAG_WRITING)


def _ascii_field(text: str, size: int, what: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ValueError(f"{what} {text!r} is longer than {size} bytes")
    return raw


def truncate_utf8(text: str, limit: int) -> bytes:
    """UTF-8 bytes of text cut to at most limit bytes without splitting a character."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= limit:
        return raw
    return raw[:limit].decode("utf-8", "ignore").encode("utf-8")


def pack_header(h: Header) -> bytes:
    """The 4096 header bytes for h, checksummed; raises ValueError for values the layout cannot hold."""
    key = h.key.encode("utf-8")
    if not 0 < len(key) <= MAX_KEY_BYTES:
        raise ValueError("key must be 1 to 255 UTF-8 bytes")
    source = truncate_utf8(h.source_name, MAX_SOURCE_BYTES)
    if len(h.palette) > MAX_PALETTE_BYTES or len(h.transparency_alpha) > MAX_ALPHA_BYTES:
        raise ValueError("palette or transparency too long")
    values = tuple(h.transparency_values) + (0,) * (4 - len(h.transparency_values))
    if len(values) != 4:
        raise ValueError("at most four transparency values")
    t_len = len(h.transparency_alpha) if h.transparency_kind == TRANSPARENCY_ALPHA else len(
        h.transparency_values
    )
    buf = bytearray(HEADER_SIZE)
    _FIXED.pack_into(
        buf, 0, MAGIC, VERSION, HEADER_SIZE, h.flags, h.sequence, h.width, h.height, h.stride,
        h.checksum_kind, h.payload_length, h.checksum, h.sender_pid, 0, h.sender_start,
        h.timestamp_ns, _ascii_field(h.mode, 16, "mode"),
        _ascii_field(h.source_mode or h.mode, 16, "source mode"), len(key), len(source),
        len(h.palette), h.transparency_kind, t_len, _ascii_field(h.palette_mode, 8, "palette mode"),
        *values,
    )
    buf[KEY_OFFSET:KEY_OFFSET + len(key)] = key
    buf[SOURCE_OFFSET:SOURCE_OFFSET + len(source)] = source
    buf[ALPHA_OFFSET:ALPHA_OFFSET + len(h.transparency_alpha)] = h.transparency_alpha
    buf[PALETTE_OFFSET:PALETTE_OFFSET + len(h.palette)] = h.palette
    struct.pack_into("<I", buf, CRC_OFFSET, zlib.crc32(buf))
    return bytes(buf)


def has_magic(data: bytes | memoryview) -> bool:
    """Whether data starts with imgshare's magic (the first test for 'ours or foreign')."""
    return len(data) >= len(MAGIC) and bytes(data[: len(MAGIC)]) == MAGIC


def is_blank(data: bytes | memoryview) -> bool:
    """Whether the segment's header was never written (a sender died between creating and writing it).

    imgshare creates segments zero-filled and writes the header last, under the lock.
    """
    return len(data) >= len(MAGIC) and not any(bytes(data[: len(MAGIC)]))


def _corrupt(detail: str) -> CorruptSegmentError:
    return CorruptSegmentError(f"the segment's header is damaged ({detail})")


def _text(data: bytes, what: str, encoding: str = "ascii") -> str:
    """Decode a field; fixed-width ASCII fields are NUL padded, length-prefixed UTF-8 ones are exact."""
    if encoding == "ascii":
        data = data.rstrip(b"\0")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _corrupt(f"{what} is not valid {encoding}") from None


def unpack_header(data: bytes | bytearray | memoryview, segment_size: int) -> Header:
    """Decode and validate a header read from a segment of segment_size bytes.

    Raises ForeignSegmentError when the bytes are not ours at all and CorruptSegmentError when they claim
    to be ours but any field is out of bounds or inconsistent. The payload itself is not checked here.
    """
    if segment_size < len(MAGIC) or not has_magic(data):
        raise ForeignSegmentError("the segment under this key belongs to another program")
    if segment_size < HEADER_SIZE or len(data) < HEADER_SIZE:
        raise _corrupt("it is shorter than a header")
    raw = bytes(data[:HEADER_SIZE])
    (magic, version, header_size, flags, sequence, width, height, stride, checksum_kind,
     payload_length, checksum, sender_pid, crc, sender_start, timestamp_ns, mode_raw, source_mode_raw,
     key_len, source_len, palette_len, t_kind, t_len, palette_mode_raw, *t_values) = _FIXED.unpack_from(raw)
    if version != VERSION:
        raise CorruptSegmentError(
            f"the segment uses imgshare format version {version}; this program reads version {VERSION}"
        )
    zeroed = bytearray(raw)
    zeroed[CRC_OFFSET:CRC_OFFSET + 4] = b"\0\0\0\0"
    if zlib.crc32(zeroed) != crc:
        raise _corrupt("header checksum mismatch")
    if header_size != HEADER_SIZE:
        raise _corrupt(f"header size {header_size}")
    if flags & ~KNOWN_FLAGS:
        raise _corrupt(f"unknown flags {flags:#x}")
    mode = _text(mode_raw, "mode")
    if mode not in CARRIED_MODES:
        raise _corrupt(f"unsupported mode {mode!r}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise _corrupt(f"dimensions {width}x{height} outside 1..{MAX_DIMENSION}")
    min_stride = row_bytes(mode, width)
    if not min_stride <= stride <= min_stride + MAX_STRIDE_PADDING:
        raise _corrupt(f"stride {stride} does not fit {width} pixels of mode {mode}")
    if payload_length != stride * height:
        raise _corrupt(f"payload length {payload_length} is not stride x height")
    if header_size + payload_length > segment_size:
        raise _corrupt("payload runs past the end of the segment")
    if checksum_kind != CHECKSUM_XXH3_64:
        raise _corrupt(f"unknown checksum kind {checksum_kind}")
    if not 0 < key_len <= MAX_KEY_BYTES or source_len > MAX_SOURCE_BYTES:
        raise _corrupt("key or source name length out of bounds")
    palette_mode = _text(palette_mode_raw, "palette mode")
    if palette_len > MAX_PALETTE_BYTES or (palette_len and palette_mode not in ("RGB", "RGBA")):
        raise _corrupt("palette out of bounds")
    if palette_len % len(palette_mode or "RGB"):
        raise _corrupt("palette length is not whole entries")
    if t_kind > TRANSPARENCY_ALPHA:
        raise _corrupt(f"unknown transparency kind {t_kind}")
    if (t_kind == TRANSPARENCY_ALPHA and t_len > MAX_ALPHA_BYTES) or (
        t_kind in (TRANSPARENCY_VALUE, TRANSPARENCY_COLOUR) and not 1 <= t_len <= 4
    ):
        raise _corrupt("transparency out of bounds")
    alpha = raw[ALPHA_OFFSET:ALPHA_OFFSET + t_len] if t_kind == TRANSPARENCY_ALPHA else b""
    values = tuple(t_values[:t_len]) if t_kind in (TRANSPARENCY_VALUE, TRANSPARENCY_COLOUR) else ()
    return Header(
        sequence=sequence, width=width, height=height, mode=mode, stride=stride,
        payload_length=payload_length, checksum=checksum, sender_pid=sender_pid,
        sender_start=sender_start, timestamp_ns=timestamp_ns,
        key=_text(raw[KEY_OFFSET:KEY_OFFSET + key_len], "key", "utf-8"),
        source_name=_text(raw[SOURCE_OFFSET:SOURCE_OFFSET + source_len], "source name", "utf-8"),
        source_mode=_text(source_mode_raw, "source mode"), flags=flags, palette_mode=palette_mode,
        palette=raw[PALETTE_OFFSET:PALETTE_OFFSET + palette_len], transparency_kind=t_kind,
        transparency_values=values, transparency_alpha=alpha, checksum_kind=checksum_kind,
        header_size=header_size, version=version,
    )
