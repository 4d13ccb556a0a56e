"""The control block at the start of a segment: which slot is published, who serves the key, where the
slots are (layout in docs/protocol.md, section 3.1).

Fields that change while the segment lives (published, flags, the owner) are each one aligned word,
written with a single store, and left out of the block's CRC: a sender killed between two stores leaves
each of them old or new, never half-written, and never a CRC that no longer matches.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import CorruptSegmentError, ForeignSegmentError, UnsupportedFormatError
from .header import DESCRIPTOR_SIZE, decode_text
from .keys import MAX_KEY_BYTES

MAGIC = b"IMGSHARE"
VERSION = 2
CONTROL_SIZE = 4096
MIN_SLOTS, MAX_SLOTS = 2, 8
SLOT_COUNT = 3  # what imgshare's sender uses: a borrowed slot, the published one and the next coexist
SLOT_ALIGN = 4096
NOTHING_PUBLISHED = 0xFFFFFFFF
FLAG_PERSISTED = 1  # the sender left on purpose; the share is not stale
KNOWN_FLAGS = FLAG_PERSISTED


# Offsets of the mutable words, and the range the CRC leaves out.
PUBLISHED_OFFSET = 16
FLAGS_OFFSET = 20
OWNER_PID_OFFSET = 24
CRC_OFFSET = 28
OWNER_START_OFFSET = 32
MUTABLE = slice(16, 48)
SLOT_TABLE_OFFSET = 64
KEY_LENGTH_OFFSET = 192
KEY_OFFSET = 256

VERSION_END = 10  # the magic and the version: enough to tell our formats apart
_FIXED = struct.Struct("<8sHHIIIIIQ")
_SLOT = struct.Struct("<QQ")


@dataclass(frozen=True)
class Control:
    """The decoded control block of a segment."""

    key: str
    slots: tuple[tuple[int, int], ...]  # (offset, capacity) of each slot
    published: int | None = None  # index of the slot holding the current image
    flags: int = 0
    owner_pid: int = 0
    owner_start: int = 0

    @property
    def slot_count(self) -> int:
        return len(self.slots)

    @property
    def persisted(self) -> bool:
        return bool(self.flags & FLAG_PERSISTED)


def descriptor_offset(slot: int) -> int:
    """Where the descriptor of a slot starts."""
    return CONTROL_SIZE + slot * DESCRIPTOR_SIZE


def first_slot_offset(slot_count: int) -> int:
    return CONTROL_SIZE + slot_count * DESCRIPTOR_SIZE


def round_up(length: int, unit: int = SLOT_ALIGN) -> int:
    return max(unit, (length + unit - 1) // unit * unit)


def plan_slots(capacities: list[int]) -> tuple[tuple[tuple[int, int], ...], int]:
    """Slots of these capacities (each rounded up to a page) laid one after the other, and the size of
    the segment that holds them."""
    offset = first_slot_offset(len(capacities))
    slots = []
    for capacity in capacities:
        capacity = round_up(capacity)
        slots.append((offset, capacity))
        offset += capacity
    return tuple(slots), offset


def _crc(raw: bytes | bytearray) -> int:
    zeroed = bytearray(raw[:CONTROL_SIZE])
    zeroed[MUTABLE] = bytes(MUTABLE.stop - MUTABLE.start)
    return zlib.crc32(zeroed)


def pack_control(c: Control) -> bytes:
    """The 4096 bytes of c's control block, with its CRC."""
    key = c.key.encode("utf-8")
    if not 0 < len(key) <= MAX_KEY_BYTES:
        raise ValueError("the key must be 1 to 255 UTF-8 bytes")
    if not MIN_SLOTS <= c.slot_count <= MAX_SLOTS:
        raise ValueError(f"{c.slot_count} slots; a segment holds {MIN_SLOTS} to {MAX_SLOTS}")
    buf = bytearray(CONTROL_SIZE)
    published = NOTHING_PUBLISHED if c.published is None else c.published
    _FIXED.pack_into(buf, 0, MAGIC, VERSION, CONTROL_SIZE, c.slot_count, published, c.flags, c.owner_pid, 0,
                     c.owner_start)
    for index, (offset, capacity) in enumerate(c.slots):
        _SLOT.pack_into(buf, SLOT_TABLE_OFFSET + index * _SLOT.size, offset, capacity)
    struct.pack_into("<H", buf, KEY_LENGTH_OFFSET, len(key))
    buf[KEY_OFFSET:KEY_OFFSET + len(key)] = key
    struct.pack_into("<I", buf, CRC_OFFSET, _crc(buf))
    return bytes(buf)


def has_magic(data: bytes | bytearray | memoryview) -> bool:
    """Whether data starts with imgshare's magic (the first test for 'ours or foreign')."""
    return len(data) >= len(MAGIC) and bytes(data[: len(MAGIC)]) == MAGIC


def is_blank(data: bytes | bytearray | memoryview) -> bool:
    """Whether the segment was never written (a sender died between creating and writing it)."""
    return len(data) >= len(MAGIC) and not any(bytes(data[: len(MAGIC)]))


def check_version(data: bytes | bytearray | memoryview) -> None:
    """UnsupportedFormatError unless data (starting with our magic) is of format 2."""
    if len(data) >= VERSION_END:
        (version,) = struct.unpack_from("<H", data, len(MAGIC))
        if version != VERSION:
            raise UnsupportedFormatError(version)


def _corrupt(detail: str) -> CorruptSegmentError:
    return CorruptSegmentError(f"the shared memory under this key is damaged ({detail})")


def unpack_control(data: bytes | bytearray | memoryview, segment_size: int, key: str | None) -> Control:
    """Decode and validate a control block read from a segment of segment_size bytes (the kernel's
    figure). With key, the block must name that key (else it is another key's: ForeignSegmentError).

    Raises ForeignSegmentError when the bytes are not ours, UnsupportedFormatError for another format
    version, CorruptSegmentError when a field is out of bounds or inconsistent.
    """
    if segment_size < len(MAGIC) or not has_magic(data):
        raise ForeignSegmentError("the shared memory under this key belongs to another program")
    check_version(data)
    if segment_size < CONTROL_SIZE or len(data) < CONTROL_SIZE:
        raise _corrupt("it is shorter than its control block")
    raw = bytes(data[:CONTROL_SIZE])
    _, version, control_size, slot_count, published, flags, owner_pid, crc, owner_start = _FIXED.unpack_from(raw)
    if _crc(raw) != crc:
        raise _corrupt("control block checksum mismatch")
    if control_size != CONTROL_SIZE:
        raise _corrupt(f"control block size {control_size}")
    if not MIN_SLOTS <= slot_count <= MAX_SLOTS:
        raise _corrupt(f"{slot_count} slots")
    if flags & ~KNOWN_FLAGS:
        raise _corrupt(f"unknown flags {flags:#x}")
    (key_len,) = struct.unpack_from("<H", raw, KEY_LENGTH_OFFSET)
    if not 0 < key_len <= MAX_KEY_BYTES:
        raise _corrupt("key length out of bounds")
    named = decode_text(raw[KEY_OFFSET:KEY_OFFSET + key_len], "key", "utf-8")
    if key is not None and named != key:
        raise ForeignSegmentError(
            f"the key {key!r} collides with imgshare key {named!r} (the same System V key); choose another key"
        )
    table = [_SLOT.unpack_from(raw, SLOT_TABLE_OFFSET + i * _SLOT.size) for i in range(MAX_SLOTS)]
    if any(entry != (0, 0) for entry in table[slot_count:]):
        raise _corrupt("slot table entries beyond the slot count")
    slots = tuple(table[:slot_count])
    _check_slots(slots, segment_size)
    if published != NOTHING_PUBLISHED and published >= slot_count:
        raise _corrupt(f"published slot {published} of {slot_count}")
    return Control(key=named, slots=slots, published=None if published == NOTHING_PUBLISHED else published,
                   flags=flags, owner_pid=owner_pid, owner_start=owner_start)


def peek_published(raw: bytes | bytearray | memoryview) -> int | None:
    """The published slot index of a control block, checked only against the largest slot count (for
    the short read under the lock; unpack_control checks the rest); None when nothing is published."""
    (published,) = struct.unpack_from("<I", raw, PUBLISHED_OFFSET)
    if published == NOTHING_PUBLISHED:
        return None
    if published >= MAX_SLOTS:
        raise _corrupt(f"published slot {published}")
    return int(published)


def _check_slots(slots: tuple[tuple[int, int], ...], segment_size: int) -> None:
    lowest = first_slot_offset(len(slots))
    for offset, capacity in slots:
        if offset % SLOT_ALIGN or offset < lowest or offset + capacity > segment_size:
            raise _corrupt(f"a slot at {offset} of {capacity} bytes does not fit the segment")
    used = sorted((offset, offset + capacity) for offset, capacity in slots if capacity)
    for (_, end), (start, _) in zip(used, used[1:], strict=False):
        if start < end:
            raise _corrupt("two slots overlap")
