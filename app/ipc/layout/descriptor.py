"""The slot descriptor: the 8192 bytes at the start of a data segment that describe its image
(docs/protocol.md §7.2), checked in the order of §9.3 steps 17 and 18.

pack_descriptor() writes every byte (lengths' tails zero, §7.2 [D2]); unpack_descriptor() trusts nothing.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from .modes import BGR_MODES, CARRIED_MODES, MODES, row_bytes
from .size import MAX_DIMENSION
from .tags import MAX_TAG_BYTES, TagsProblem, parse_tags
from .text import source_name_problem

MAGIC = b"IMGSDATA"
VERSION = 3
DESCRIPTOR_SIZE = 8192  # the payload starts here
WRITE_COUNT = 32  # the mutable seqlock word (§10.5), outside the CRC with the CRC itself
CRC = 36

FLAG_CONVERTED = 1
FLAG_BGR = 2
KNOWN_FLAGS = FLAG_CONVERTED | FLAG_BGR

MAX_SOURCE_BYTES = 255
MAX_PALETTE_BYTES = 1024
MAX_PALETTE_ENTRIES = 256
MAX_ALPHA_BYTES = 256
MAX_STRIDE_PADDING = 4096
SOURCE_OFFSET = 256
ALPHA_OFFSET = 512
PALETTE_OFFSET = 768
TAGS_OFFSET = 4096

_FIXED = struct.Struct("<8sHH4xQQIIQIIIIQIIQq16s16s8sHHHH4IH")
assert _FIXED.size == 162


class ChecksumKind(enum.IntEnum):
    NONE = 0  # the sender computed none: readers do not verify
    XXH3_64 = 1  # XXH3-64, seed 0, of the rows without padding (§8.7)


class Transparency(enum.IntEnum):
    NONE = 0
    VALUE = 1  # one value: a palette index, or a grey value
    COLOUR = 2  # R, G, B
    ALPHA = 3  # one alpha byte per palette index (PNG tRNS), at ALPHA_OFFSET


_VALUE_COUNT = {Transparency.NONE: 0, Transparency.VALUE: 1, Transparency.COLOUR: 3}


@dataclass(frozen=True)
class Descriptor:
    """A decoded slot descriptor; field meanings are in docs/protocol.md §7.2."""

    epoch: int
    generation: int
    sequence: int
    width: int
    height: int
    mode: str
    stride: int
    payload_length: int
    checksum: int
    sender_pid: int
    timestamp_ns: int
    checksum_kind: ChecksumKind = ChecksumKind.XXH3_64
    flags: int = 0
    source_name: str = ""
    source_mode: str = ""  # "" means the same as mode
    palette_mode: str = ""
    palette: bytes = b""
    transparency_kind: Transparency = Transparency.NONE
    transparency_values: tuple[int, ...] = ()
    transparency_alpha: bytes = b""
    tags_json: bytes = b""
    tags: dict[str, Any] = field(default_factory=dict, compare=False)
    write_count: int = 0

    @property
    def converted(self) -> bool:
        return bool(self.flags & FLAG_CONVERTED)

    @property
    def bgr(self) -> bool:
        return bool(self.flags & FLAG_BGR)

    @property
    def row_bytes(self) -> int:
        return row_bytes(self.mode, self.width)


def allowed_transparency(mode: str, palette_mode: str) -> frozenset[Transparency]:
    """The transparency kinds besides NONE that mode may carry (the table of §8.4)."""
    if mode == "P":
        return frozenset({Transparency.VALUE, Transparency.ALPHA}) if palette_mode == "RGB" else frozenset()
    if mode in ("RGB", "RGB;16"):
        return frozenset({Transparency.COLOUR})
    if mode in ("1", "L", "I;16", "I"):
        return frozenset({Transparency.VALUE})
    return frozenset()


def transparency_problem(mode: str, palette_mode: str, kind: int, values: tuple[int, ...],
                         alpha_length: int) -> str | None:
    """Why this transparency breaks the table of §8.4, or None."""
    if kind not in tuple(Transparency):
        return f"unknown transparency kind {kind}"
    if kind == Transparency.NONE:
        return None
    if kind not in allowed_transparency(mode, palette_mode):
        palette = f" with a {palette_mode or 'missing'} palette" if mode == "P" else ""
        return f"transparency kind {kind} is not allowed for mode {mode}{palette}"
    if kind == Transparency.ALPHA:
        if not 1 <= alpha_length <= MAX_ALPHA_BYTES:
            return f"{alpha_length} transparency alpha bytes (1 to {MAX_ALPHA_BYTES} allowed)"
        return None
    count = _VALUE_COUNT[Transparency(kind)]
    if len(values) != count:
        return f"transparency kind {kind} needs {count} values, not {len(values)}"
    largest = MODES[mode].transparency_max
    for value in values:
        if not 0 <= value <= largest:
            return f"transparency value {value} is outside 0..{largest} for mode {mode}"
    return None


def _ascii(text: str, size: int, what: str) -> bytes:
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


def pack_descriptor(d: Descriptor) -> bytes:
    """The 8192 bytes of d with their CRC; ValueError for values the layout cannot hold."""
    source = truncate_utf8(d.source_name, MAX_SOURCE_BYTES)
    alpha = d.transparency_alpha if d.transparency_kind is Transparency.ALPHA else b""
    values = tuple(d.transparency_values)
    problem = transparency_problem(d.mode, d.palette_mode if d.palette else "", d.transparency_kind, values,
                                   len(alpha))
    if problem:
        raise ValueError(problem)
    if len(d.palette) > MAX_PALETTE_BYTES or len(d.tags_json) > MAX_TAG_BYTES:
        raise ValueError("palette or tags too long")
    if d.flags & FLAG_BGR and d.mode not in BGR_MODES:
        raise ValueError(f"the BGR flag does not go with mode {d.mode}")
    t_len = len(alpha) if d.transparency_kind is Transparency.ALPHA else len(values)
    buf = bytearray(DESCRIPTOR_SIZE)
    _FIXED.pack_into(
        buf, 0, MAGIC, VERSION, DESCRIPTOR_SIZE, d.epoch, d.generation, d.write_count, 0, d.sequence,
        d.width, d.height, d.stride, d.flags, d.payload_length, int(d.checksum_kind), d.sender_pid, d.checksum,
        d.timestamp_ns, _ascii(d.mode, 16, "mode"), _ascii(d.source_mode, 16, "source mode"),
        _ascii(d.palette_mode, 8, "palette mode"), len(source), len(d.palette), int(d.transparency_kind), t_len,
        *(values + (0,) * (4 - len(values))), len(d.tags_json),
    )
    buf[SOURCE_OFFSET:SOURCE_OFFSET + len(source)] = source
    buf[ALPHA_OFFSET:ALPHA_OFFSET + len(alpha)] = alpha
    buf[PALETTE_OFFSET:PALETTE_OFFSET + len(d.palette)] = d.palette
    buf[TAGS_OFFSET:TAGS_OFFSET + len(d.tags_json)] = d.tags_json
    struct.pack_into("<I", buf, CRC, crc_of(buf))
    return bytes(buf)


def crc_of(raw: bytes | bytearray | memoryview) -> int:
    """CRC-32 of a descriptor with write_count and descriptor_crc zeroed."""
    zeroed = bytearray(raw[:DESCRIPTOR_SIZE])
    zeroed[WRITE_COUNT:CRC + 4] = bytes(8)
    return zlib.crc32(zeroed)


def _ascii_field(raw: bytes, what: str, key: str) -> str:
    text = raw.rstrip(b"\0")
    if b"\0" in text or not all(0x20 < byte < 0x7F for byte in text):
        raise errors.damaged(key, f"its {what} is not ASCII text")
    return text.decode("ascii")


def unpack_descriptor(raw: bytes | bytearray | memoryview, capacity: int, epoch: int, generation: int,
                      key: str) -> Descriptor:
    """Decode and check the descriptor of a data segment whose capacity (shm_segsz − 8192) the kernel
    gave, for the control block's epoch and the slot table entry's generation (§9.3 steps 17, 18)."""
    if len(raw) < DESCRIPTOR_SIZE:
        raise errors.damaged(key, "its slot descriptor is cut short")
    block = bytes(raw[:DESCRIPTOR_SIZE])
    (magic, version, size, d_epoch, d_generation, write_count, crc, sequence, width, height, stride, flags,
     payload_length, checksum_kind, sender_pid, checksum, timestamp_ns, mode_raw, source_mode_raw,
     palette_mode_raw, source_length, palette_length, t_kind, t_length, *rest) = _FIXED.unpack_from(block)
    t_values, tags_length = tuple(rest[:4]), rest[4]

    def bad(detail: str) -> errors.CorruptSegmentError:
        return errors.damaged(key, detail)

    if magic != MAGIC:
        raise bad("a slot's data segment does not start with IMGSDATA")
    if version != VERSION or size != DESCRIPTOR_SIZE:
        raise bad(f"a slot descriptor of version {version} and size {size}")
    if crc_of(block) != crc:
        raise bad("a slot descriptor fails its CRC")
    if d_epoch != epoch:
        raise bad("a slot's data segment belongs to another epoch of the key")
    if d_generation != generation:
        raise bad(f"a slot's data segment has generation {d_generation}, its slot table entry {generation}")
    if sequence < 1:
        raise bad("sequence 0")
    mode = _ascii_field(mode_raw, "mode", key)
    if mode not in CARRIED_MODES:
        raise bad(f"unknown mode {mode!r}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise bad(f"dimensions {width}x{height} outside 1..{MAX_DIMENSION}")
    least = row_bytes(mode, width)
    if not least <= stride <= least + MAX_STRIDE_PADDING:
        raise bad(f"stride {stride} does not fit {width} pixels of mode {mode} ({least} to {least + 4096})")
    if payload_length != stride * height:
        raise bad(f"payload_length {payload_length} is not stride x height ({stride * height})")
    if payload_length > capacity:
        raise bad(f"the image ({payload_length} bytes) is larger than its data segment ({capacity})")
    if flags & ~KNOWN_FLAGS:
        raise bad(f"unknown descriptor flags {flags:#x}")
    if flags & FLAG_BGR and mode not in BGR_MODES:
        raise bad(f"the BGR flag on a {mode} image")
    if checksum_kind not in tuple(ChecksumKind):
        raise bad(f"unknown checksum kind {checksum_kind}")
    if checksum_kind == ChecksumKind.NONE and checksum != 0:
        raise bad("checksum kind 0 (none) with a non-zero checksum")
    source_mode = _ascii_field(source_mode_raw, "source mode", key) if any(source_mode_raw) else ""
    if flags & FLAG_CONVERTED and source_mode in ("", mode):
        raise bad("CONVERTED set without a source mode")
    if not flags & FLAG_CONVERTED and source_mode not in ("", mode):
        raise bad(f"source mode {source_mode!r} differs from mode {mode} without CONVERTED")
    if source_mode and not all(c.isalnum() or c == ";" for c in source_mode):
        raise bad(f"source mode {source_mode!r}")
    palette_mode = _ascii_field(palette_mode_raw, "palette mode", key) if any(palette_mode_raw) else ""
    if mode == "P":
        if palette_mode not in ("RGB", "RGBA", "") or (palette_length and not palette_mode):
            raise bad(f"palette mode {palette_mode!r}")
        entry = len(palette_mode) or 3
        if palette_length % entry or palette_length // entry > MAX_PALETTE_ENTRIES:
            raise bad(f"palette_length {palette_length} is not a whole number of at most 256 entries")
    elif palette_length or palette_mode:
        raise bad(f"a palette on a {mode} image")
    alpha_length = t_length if t_kind == Transparency.ALPHA else 0
    values = t_values[:t_length] if t_kind in (Transparency.VALUE, Transparency.COLOUR) else ()
    problem = transparency_problem(mode, palette_mode if palette_length else "", t_kind, values, alpha_length)
    if problem is None and t_kind in (Transparency.NONE, Transparency.ALPHA) and any(t_values):
        problem = "transparency values set for a kind that has none"
    if problem is None and t_kind in (Transparency.VALUE, Transparency.COLOUR) and any(t_values[t_length:]):
        problem = "unused transparency values are not zero"
    if problem is None and t_kind == Transparency.NONE and t_length:
        problem = f"transparency_length {t_length} with kind 0"
    if problem:
        raise bad(problem)
    if source_length > MAX_SOURCE_BYTES:
        raise bad(f"source_length {source_length}")
    try:
        source_name = block[SOURCE_OFFSET:SOURCE_OFFSET + source_length].decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the source name is not valid UTF-8") from None
    name_problem = source_name_problem(source_name)
    if name_problem:
        raise bad(f"the source name is not allowed: {name_problem}")
    if tags_length > MAX_TAG_BYTES:
        raise bad(f"tags_length {tags_length} is more than {MAX_TAG_BYTES}")
    tags_json = block[TAGS_OFFSET:TAGS_OFFSET + tags_length]
    try:
        tags = parse_tags(tags_json)
    except TagsProblem as exc:
        raise bad(f"its tags are not allowed: {exc}") from None
    return Descriptor(
        epoch=d_epoch, generation=d_generation, sequence=sequence, width=width, height=height, mode=mode,
        stride=stride, payload_length=payload_length, checksum=checksum, sender_pid=sender_pid,
        timestamp_ns=timestamp_ns, checksum_kind=ChecksumKind(checksum_kind), flags=flags,
        source_name=source_name, source_mode=source_mode, palette_mode=palette_mode,
        palette=block[PALETTE_OFFSET:PALETTE_OFFSET + palette_length], transparency_kind=Transparency(t_kind),
        transparency_values=values, transparency_alpha=block[ALPHA_OFFSET:ALPHA_OFFSET + alpha_length],
        tags_json=tags_json, tags=tags, write_count=write_count,
    )
