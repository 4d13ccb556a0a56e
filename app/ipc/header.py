"""A slot's descriptor: the header of one image (layout in docs/protocol.md, section 3.2).

Each slot of a segment has a 4096-byte descriptor saying what its pixels are. Everything that reads or
writes one goes through pack_header() and unpack_header(); unpack_header() trusts nothing it is given.
The control block in front of the slots is control.py's.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass

from .errors import CorruptSegmentError
from .modes import CARRIED_MODES, row_bytes

DESCRIPTOR_SIZE = 4096

# Descriptor flags (u32 at offset 20).
FLAG_CONVERTED = 1  # the source's mode was not carried as is; source_mode names it
FLAG_BGR = 2  # RGB/RGBA pixels stored in OpenCV's order: B, G, R(, A)
KNOWN_FLAGS = FLAG_CONVERTED | FLAG_BGR
BGR_MODES = frozenset({"RGB", "RGBA"})

MAX_DIMENSION = 65536
MAX_SOURCE_BYTES = 255
MAX_PALETTE_BYTES = 1024
MAX_PALETTE_ENTRIES = 256
MAX_ALPHA_BYTES = 256
MAX_STRIDE_PADDING = 4096


class ChecksumKind(enum.IntEnum):
    """How a payload is checksummed (u32 at offset 24)."""

    NONE = 0  # the sender computed none: receivers do not verify
    XXH3_64 = 1  # XXH3-64, seed 0, of the payload_length bytes of the slot


class Transparency(enum.IntEnum):
    """Transparency kinds (u16 at offset 116)."""

    NONE = 0
    VALUE = 1  # one int: a palette index, or a grey value for 1 / L / I;16 / I
    COLOUR = 2  # three ints: R, G, B, for RGB
    ALPHA = 3  # bytes at ALPHA_OFFSET: one alpha per palette index (PNG tRNS), for P


# mode -> (kinds allowed, largest value allowed for kinds VALUE and COLOUR)
TRANSPARENCY_RULES: dict[str, tuple[frozenset[Transparency], int]] = {
    "P": (frozenset({Transparency.NONE, Transparency.VALUE, Transparency.ALPHA}), 255),
    "1": (frozenset({Transparency.NONE, Transparency.VALUE}), 255),
    "L": (frozenset({Transparency.NONE, Transparency.VALUE}), 255),
    "I;16": (frozenset({Transparency.NONE, Transparency.VALUE}), 65535),
    "I": (frozenset({Transparency.NONE, Transparency.VALUE}), 2**31 - 1),
    "RGB": (frozenset({Transparency.NONE, Transparency.COLOUR}), 255),
}
_NO_TRANSPARENCY: tuple[frozenset[Transparency], int] = (frozenset({Transparency.NONE}), 0)
_VALUE_COUNT = {Transparency.NONE: 0, Transparency.VALUE: 1, Transparency.COLOUR: 3}
_KIND_VALUES = frozenset(int(kind) for kind in Transparency)

_FIXED = struct.Struct("<QIIIIIIQQIIQq16s16s8sHHHH4I")
assert _FIXED.size == 136
CRC_OFFSET = 28
SOURCE_OFFSET = 256
ALPHA_OFFSET = 512
PALETTE_OFFSET = 768


@dataclass(frozen=True)
class Header:
    """The decoded descriptor of one image; field meanings are in docs/protocol.md, section 3.2."""

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
    source_name: str = ""
    source_mode: str = ""
    flags: int = 0
    palette_mode: str = ""
    palette: bytes = b""
    transparency_kind: Transparency = Transparency.NONE
    transparency_values: tuple[int, ...] = ()
    transparency_alpha: bytes = b""
    checksum_kind: ChecksumKind = ChecksumKind.XXH3_64

    @property
    def converted(self) -> bool:
        return bool(self.flags & FLAG_CONVERTED)

    @property
    def bgr(self) -> bool:
        return bool(self.flags & FLAG_BGR)


def truncate_utf8(text: str, limit: int) -> bytes:
    """UTF-8 bytes of text cut to at most limit bytes without splitting a character."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= limit:
        return raw
    return raw[:limit].decode("utf-8", "ignore").encode("utf-8")


def _ascii_field(text: str, size: int, what: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ValueError(f"{what} {text!r} is longer than {size} bytes")
    return raw


def transparency_allowed(mode: str, kind: Transparency, values: tuple[int, ...], alpha: bytes) -> bool:
    """Whether a mode may carry this transparency (the table in docs/protocol.md, section 3.2)."""
    kinds, largest = TRANSPARENCY_RULES.get(mode, _NO_TRANSPARENCY)
    if kind not in kinds:
        return False
    if kind is Transparency.ALPHA:
        return 1 <= len(alpha) <= MAX_ALPHA_BYTES
    return len(values) == _VALUE_COUNT[kind] and all(0 <= v <= largest for v in values)


def pack_header(h: Header) -> bytes:
    """The 4096 descriptor bytes for h, with their CRC; ValueError for values the layout cannot hold."""
    source = truncate_utf8(h.source_name, MAX_SOURCE_BYTES)
    if len(h.palette) > MAX_PALETTE_BYTES:
        raise ValueError("palette too long")
    if not transparency_allowed(h.mode, h.transparency_kind, tuple(h.transparency_values),
                                h.transparency_alpha):
        raise ValueError(f"transparency kind {h.transparency_kind} does not fit mode {h.mode}")
    if h.flags & FLAG_BGR and h.mode not in BGR_MODES:
        raise ValueError("the BGR flag goes with RGB and RGBA only")
    values = tuple(h.transparency_values) + (0,) * (4 - len(h.transparency_values))
    alpha = h.transparency_alpha if h.transparency_kind is Transparency.ALPHA else b""
    t_len = len(alpha) if h.transparency_kind is Transparency.ALPHA else len(h.transparency_values)
    buf = bytearray(DESCRIPTOR_SIZE)
    _FIXED.pack_into(
        buf, 0, h.sequence, h.width, h.height, h.stride, h.flags, int(h.checksum_kind), 0,
        h.payload_length, h.checksum, h.sender_pid, 0, h.sender_start, h.timestamp_ns,
        _ascii_field(h.mode, 16, "mode"), _ascii_field(h.source_mode or h.mode, 16, "source mode"),
        _ascii_field(h.palette_mode, 8, "palette mode"), len(source), len(h.palette),
        int(h.transparency_kind), t_len, *values,
    )
    buf[SOURCE_OFFSET:SOURCE_OFFSET + len(source)] = source
    buf[ALPHA_OFFSET:ALPHA_OFFSET + len(alpha)] = alpha
    buf[PALETTE_OFFSET:PALETTE_OFFSET + len(h.palette)] = h.palette
    struct.pack_into("<I", buf, CRC_OFFSET, zlib.crc32(buf))
    return bytes(buf)


def _corrupt(detail: str) -> CorruptSegmentError:
    return CorruptSegmentError(f"the image's header in the shared memory is damaged ({detail})")


def decode_text(data: bytes, what: str, encoding: str = "ascii") -> str:
    """Decode a field; fixed-width ASCII fields are NUL padded, length-prefixed UTF-8 ones are exact."""
    if encoding == "ascii":
        data = data.rstrip(b"\0")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _corrupt(f"{what} is not valid {encoding}") from None


def unpack_header(data: bytes | bytearray | memoryview, capacity: int) -> Header:
    """Decode and validate the descriptor of a slot of capacity bytes (CorruptSegmentError if any field
    is out of bounds or inconsistent). The payload itself is not checked here."""
    if len(data) < DESCRIPTOR_SIZE:
        raise _corrupt("it is shorter than a descriptor")
    raw = bytes(data[:DESCRIPTOR_SIZE])
    (sequence, width, height, stride, flags, checksum_kind, crc, payload_length, checksum, sender_pid, _,
     sender_start, timestamp_ns, mode_raw, source_mode_raw, palette_mode_raw, source_len, palette_len,
     t_kind, t_len, *t_values) = _FIXED.unpack_from(raw)
    zeroed = bytearray(raw)
    zeroed[CRC_OFFSET:CRC_OFFSET + 4] = bytes(4)
    if zlib.crc32(zeroed) != crc:
        raise _corrupt("descriptor checksum mismatch")
    if sequence < 1:
        raise _corrupt("sequence 0")
    mode = decode_text(mode_raw, "mode")
    if mode not in CARRIED_MODES:
        raise _corrupt(f"unsupported mode {mode!r}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise _corrupt(f"dimensions {width}x{height} outside 1..{MAX_DIMENSION}")
    min_stride = row_bytes(mode, width)
    if not min_stride <= stride <= min_stride + MAX_STRIDE_PADDING:
        raise _corrupt(f"stride {stride} does not fit {width} pixels of mode {mode}")
    if payload_length != stride * height:
        raise _corrupt(f"payload length {payload_length} is not stride x height")
    if payload_length > capacity:
        raise _corrupt("the image is larger than its slot")
    if flags & ~KNOWN_FLAGS or (flags & FLAG_BGR and mode not in BGR_MODES):
        raise _corrupt(f"flags {flags:#x} do not fit mode {mode}")
    if checksum_kind not in (ChecksumKind.NONE, ChecksumKind.XXH3_64) or (
            checksum_kind == ChecksumKind.NONE and checksum != 0):
        raise _corrupt(f"unknown checksum kind {checksum_kind}")
    if source_len > MAX_SOURCE_BYTES:
        raise _corrupt("source name length out of bounds")
    palette_mode = decode_text(palette_mode_raw, "palette mode")
    if mode == "P":
        entry = len(palette_mode) if palette_mode in ("RGB", "RGBA") else 0
        if palette_len and (not entry or palette_len % entry or palette_len // entry > MAX_PALETTE_ENTRIES):
            raise _corrupt("palette out of bounds")
    elif palette_len or palette_mode:
        raise _corrupt(f"a palette on a {mode} image")
    if t_kind not in _KIND_VALUES:
        raise _corrupt(f"unknown transparency kind {t_kind}")
    kind = Transparency(t_kind)
    alpha = raw[ALPHA_OFFSET:ALPHA_OFFSET + t_len] if kind is Transparency.ALPHA else b""
    values = tuple(t_values[:t_len]) if kind in (Transparency.VALUE, Transparency.COLOUR) else ()
    if (kind is not Transparency.ALPHA and t_len != _VALUE_COUNT[kind]) or not transparency_allowed(
            mode, kind, values, alpha):
        raise _corrupt(f"transparency kind {t_kind} of length {t_len} does not fit mode {mode}")
    return Header(
        sequence=sequence, width=width, height=height, mode=mode, stride=stride,
        payload_length=payload_length, checksum=checksum, sender_pid=sender_pid,
        sender_start=sender_start, timestamp_ns=timestamp_ns,
        source_name=decode_text(raw[SOURCE_OFFSET:SOURCE_OFFSET + source_len], "source name", "utf-8"),
        source_mode=decode_text(source_mode_raw, "source mode") or mode, flags=flags,
        palette_mode=palette_mode, palette=raw[PALETTE_OFFSET:PALETTE_OFFSET + palette_len],
        transparency_kind=kind, transparency_values=values, transparency_alpha=alpha,
        checksum_kind=ChecksumKind(checksum_kind),
    )
