"""The control block: the 4096 bytes of a key's control segment (docs/protocol.md §5), and its checks in
the order of §9.1 (steps 4 to 9).

Fields in [64, 512) change while the key lives; each is one aligned word written with a single store and
left out of the CRC. Everything else is written once, before the magic.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass, field

from .. import errors
from .keys import MAX_KEY_BYTES
from .semset import MAX_SLOTS, MIN_SLOTS

MAGIC = b"IMGSHARE"
MAGIC_WORD = int.from_bytes(MAGIC, "little")  # stored last, in one 8-byte store
VERSION = 3
CONTROL_SIZE = 4096
NOTHING_PUBLISHED = 0xFFFFFFFF
FLAG_PERSISTED = 1  # the sender left on purpose: the share is not stale
FLAG_SERVING = 2  # a sender serves the key (with the owner semaphore held)
KNOWN_FLAGS = FLAG_PERSISTED | FLAG_SERVING

# Offsets of the mutable words (each written with one store of its width).
PUBLISHED = 64
FLAGS = 68
OWNER_PID = 72
OWNER_TOKEN = 80
SEQUENCE = 88
GENERATION = 96
PENDING = 104
SLOT_TABLE = 128
SLOT_ENTRY = 16  # generation u64, shmid u32, reserved u32
MUTABLE = slice(64, 512)
CRC = 28
KEY = 512
KEY_LENGTH = 24

_FIXED = struct.Struct("<8sHHIQH2xI")
_ENTRY = struct.Struct("<QI4x")
_MUTABLE = struct.Struct("<IIIxxxxQQQQ")


class Pending(enum.IntEnum):
    """What the pending word says about a data segment being made (§12.4)."""

    NONE = 0
    CREATING = 1  # shmget may have been called; no id known
    CREATED = 2  # the id is in the low 32 bits, not yet in the slot table


@dataclass(frozen=True)
class Slot:
    """One slot table entry: generation 0 is empty."""

    generation: int = 0
    shmid: int = 0

    @property
    def empty(self) -> bool:
        return self.generation == 0


@dataclass(frozen=True)
class Control:
    """The decoded control block."""

    key: str
    slot_count: int
    epoch: int
    published: int | None = None  # the hint (§5): only the gates say what is published
    flags: int = 0
    owner_pid: int = 0
    owner_token: int = 0
    sequence: int = 0
    generation: int = 0
    pending_state: int = 0
    pending_shmid: int = 0
    slots: tuple[Slot, ...] = field(default=())

    @property
    def persisted(self) -> bool:
        return bool(self.flags & FLAG_PERSISTED)

    @property
    def serving(self) -> bool:
        return bool(self.flags & FLAG_SERVING)

    def slot(self, index: int) -> Slot:
        return self.slots[index] if index < len(self.slots) else Slot()


def slot_entry(index: int) -> int:
    """Offset of slot table entry index."""
    return SLOT_TABLE + SLOT_ENTRY * index


def crc_of(raw: bytes | bytearray | memoryview) -> int:
    """CRC-32 of a control block with control_crc and the mutable area zeroed."""
    zeroed = bytearray(raw[:CONTROL_SIZE])
    zeroed[CRC:CRC + 4] = bytes(4)
    zeroed[MUTABLE] = bytes(MUTABLE.stop - MUTABLE.start)
    return zlib.crc32(zeroed)


def pack_control(c: Control) -> bytes:
    """The 4096 bytes of c's control block, with its CRC (the writer stores the magic last, §5)."""
    key = c.key.encode("utf-8")
    if not 0 < len(key) <= MAX_KEY_BYTES:
        raise ValueError("the key must be 1 to 255 UTF-8 bytes")
    if not MIN_SLOTS <= c.slot_count <= MAX_SLOTS or len(c.slots) > c.slot_count:
        raise ValueError(f"{c.slot_count} slots; a share has {MIN_SLOTS} to {MAX_SLOTS}")
    if c.epoch == 0:
        raise ValueError("the epoch must not be 0")
    buf = bytearray(CONTROL_SIZE)
    _FIXED.pack_into(buf, 0, MAGIC, VERSION, CONTROL_SIZE, c.slot_count, c.epoch, len(key), 0)
    published = NOTHING_PUBLISHED if c.published is None else c.published
    _MUTABLE.pack_into(buf, PUBLISHED, published, c.flags, c.owner_pid, c.owner_token, c.sequence,
                       c.generation, c.pending_state << 32 | c.pending_shmid)
    for index, entry in enumerate(c.slots):
        _ENTRY.pack_into(buf, slot_entry(index), entry.generation, entry.shmid)
    buf[KEY:KEY + len(key)] = key
    struct.pack_into("<I", buf, CRC, crc_of(buf))
    return bytes(buf)


def is_blank(start: bytes | bytearray | memoryview) -> bool:
    """Whether a segment's first 8 bytes are zero (§9.1 step 4)."""
    return len(start) >= len(MAGIC) and not any(bytes(start[:len(MAGIC)]))


def has_magic(start: bytes | bytearray | memoryview) -> bool:
    return len(start) >= len(MAGIC) and bytes(start[:len(MAGIC)]) == MAGIC


def check_start(start: bytes | bytearray | memoryview, segment_size: int, key: str) -> None:
    """§9.1 steps 4 to 6 on a segment's first bytes (at least 10 of them when the segment holds them):
    BlankSegmentError, ForeignSegmentError or UnsupportedFormatError, or nothing for format 3."""
    if segment_size == CONTROL_SIZE and is_blank(start):
        raise errors.blank(key)
    if segment_size < len(MAGIC) or not has_magic(start):
        raise errors.foreign(key)
    if segment_size < 10 or len(start) < 10:
        raise errors.damaged(key, f"a segment of {segment_size} bytes holds imgshare's magic and no version")
    (version,) = struct.unpack_from("<H", start, len(MAGIC))
    if version != VERSION:
        raise errors.UnsupportedFormatError(version, key)


def unpack_control(raw: bytes | bytearray | memoryview, segment_size: int, key: str | None) -> Control:
    """Decode and check a control block read from a segment of segment_size bytes (the kernel's figure),
    in the order of §9.1 steps 4 to 9. With key, the block must name it (else KeyCollisionError)."""
    name = key or ""
    check_start(raw[:16], segment_size, name)
    if segment_size != CONTROL_SIZE or len(raw) < CONTROL_SIZE:
        raise errors.damaged(name, f"its control segment is {segment_size} bytes, not {CONTROL_SIZE}")
    block = bytes(raw[:CONTROL_SIZE])
    _, _, control_size, slot_count, epoch, key_length, crc = _FIXED.unpack_from(block)
    if control_size != CONTROL_SIZE:
        raise errors.damaged(name, f"control_size {control_size}")
    if crc_of(block) != crc:
        raise errors.damaged(name, "the control block fails its CRC")
    if not MIN_SLOTS <= slot_count <= MAX_SLOTS:
        raise errors.damaged(name, f"slot_count {slot_count} is outside {MIN_SLOTS}..{MAX_SLOTS}")
    if epoch == 0:
        raise errors.damaged(name, "epoch 0")
    if not 0 < key_length <= MAX_KEY_BYTES:
        raise errors.damaged(name, f"key_length {key_length}")
    try:
        named = block[KEY:KEY + key_length].decode("utf-8")
    except UnicodeDecodeError:
        raise errors.damaged(name, "its key is not valid UTF-8") from None
    if key is not None and named != key:
        raise errors.KeyCollisionError(key, named)
    published, flags, owner_pid, owner_token, sequence, generation, pending = _MUTABLE.unpack_from(block, PUBLISHED)
    if flags & ~KNOWN_FLAGS:
        raise errors.damaged(named, f"unknown control flags {flags:#x}")
    entries = tuple(Slot(*_ENTRY.unpack_from(block, slot_entry(i))) for i in range(MAX_SLOTS))
    if any(not entry.empty for entry in entries[slot_count:]):
        raise errors.damaged(named, f"a slot table entry beyond slot_count {slot_count} is in use")
    if pending >> 32 not in tuple(Pending):
        raise errors.damaged(named, f"pending state {pending >> 32}")
    return Control(
        key=named, slot_count=slot_count, epoch=epoch,
        published=None if published == NOTHING_PUBLISHED else published, flags=flags, owner_pid=owner_pid,
        owner_token=owner_token, sequence=sequence, generation=generation, pending_state=pending >> 32,
        pending_shmid=pending & 0xFFFFFFFF, slots=entries[:slot_count],
    )
