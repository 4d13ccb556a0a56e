"""Where things are in a protocol-3 share, for tests that look at or damage its objects on purpose
(docs/protocol.md §5 to §7): the control segment and set at the key, the published slot's data segment."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import sysv_ipc

from imgshare.ipc import sysv_key
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout import descriptor as dsc
from imgshare.ipc.layout.semset import gate, pin
from imgshare.ipc.sysv import libc, semset


@dataclass
class Published:
    """The published slot of a key: its index, its data segment (attached writable) and image size."""

    slot: int
    shm: sysv_ipc.SharedMemory
    payload_length: int

    payload = dsc.DESCRIPTOR_SIZE  # offset of the pixels in the data segment

    def detach(self) -> None:
        self.shm.detach()


def control_of(key: str) -> ctl.Control:
    shm = sysv_ipc.SharedMemory(sysv_key(key), 0)
    try:
        return ctl.unpack_control(shm.read(ctl.CONTROL_SIZE), shm.size, key)
    finally:
        shm.detach()


def set_id(key: str) -> int:
    semid = semset.find(sysv_key(key))
    assert semid is not None, f"no semaphore set at key {key!r}"
    return semid


def gates_of(key: str) -> list[int]:
    control, semid = control_of(key), set_id(key)
    return [libc.sem_value(semid, gate(i)) for i in range(control.slot_count)]


def pins_of(key: str) -> list[int]:
    control, semid = control_of(key), set_id(key)
    return [libc.sem_value(semid, pin(i, control.slot_count)) for i in range(control.slot_count)]


def published(key: str) -> Published:
    """The published slot's data segment, attached writable (detach() it)."""
    control = control_of(key)
    slot = next(i for i, value in enumerate(gates_of(key)) if value)
    entry = control.slots[slot]
    shm = sysv_ipc.attach(entry.shmid)
    raw = shm.read(dsc.DESCRIPTOR_SIZE)
    length = struct.unpack_from("<Q", raw, 64)[0]
    return Published(slot, shm, length)


def reseal_descriptor(raw: bytearray) -> bytes:
    """Recompute a descriptor's CRC so a test reaches the field checks behind it."""
    struct.pack_into("<I", raw, dsc.CRC, dsc.crc_of(raw))
    return bytes(raw)


def reseal_control(raw: bytearray) -> bytes:
    """Recompute a control block's CRC (over the block with its mutable area zeroed)."""
    struct.pack_into("<I", raw, ctl.CRC, ctl.crc_of(raw))
    return bytes(raw)
