"""Where things are in a protocol-2 segment, for tests that damage bytes on purpose (docs/protocol.md §3)."""

from __future__ import annotations

import struct
import zlib

import sysv_ipc

from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr


def published(shm: sysv_ipc.SharedMemory) -> tuple[int, int, int]:
    """(descriptor offset, payload offset, payload length) of the published image."""
    control = ctl.unpack_control(shm.read(ctl.CONTROL_SIZE), shm.size, None)
    assert control.published is not None
    slot = control.published
    offset, capacity = control.slots[slot]
    header = hdr.unpack_header(shm.read(hdr.DESCRIPTOR_SIZE, ctl.descriptor_offset(slot)), capacity)
    return ctl.descriptor_offset(slot), offset, header.payload_length


def reseal_descriptor(raw: bytearray) -> bytes:
    """Recompute a descriptor's CRC so a test reaches the field checks behind it."""
    raw[hdr.CRC_OFFSET:hdr.CRC_OFFSET + 4] = bytes(4)
    struct.pack_into("<I", raw, hdr.CRC_OFFSET, zlib.crc32(raw))
    return bytes(raw)


def reseal_control(raw: bytearray) -> bytes:
    """Recompute a control block's CRC (over the block with its mutable words zeroed)."""
    zeroed = bytearray(raw)
    zeroed[ctl.MUTABLE] = bytes(ctl.MUTABLE.stop - ctl.MUTABLE.start)
    struct.pack_into("<I", raw, ctl.CRC_OFFSET, zlib.crc32(zeroed))
    return bytes(raw)
