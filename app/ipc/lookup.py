"""What is at a key: its control segment and semaphore set, found and checked in the order of
docs/protocol.md §9.1 and §9.2. Readers, senders and removers all look through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .layout import control as ctl
from .layout.semset import slot_count_of
from .sysv import libc, objects, segment, semset, translate
from .sysv.segment import Segment


@dataclass
class ControlFound:
    """An attached control segment and what it held when it was read."""

    segment: Segment
    control: ctl.Control


def attach_control(key: str, sysv: int, *, read_only: bool) -> Segment | None:
    """§9.1 steps 1 to 3: the control segment at sysv, checked and attached (None: nothing at the key)."""
    try:
        shmid = segment.lookup(sysv)
        if shmid is None:
            return None
        stat = libc.shm_stat(shmid)
        objects.check_at_key(stat.perm, key)
        return Segment.attach(shmid, read_only=read_only)
    except errors.ImgShareError:
        raise
    except Exception as exc:  # OSError, sysv_ipc's errors
        if translate.is_gone(exc):
            return None  # removed between our calls: nothing there now
        raise translate.at_key(exc, key, sysv, "shared memory") from None


def first_bytes(seg: Segment) -> bytes:
    """The segment's first 16 bytes, the first 8 read with one aligned load (§9.1 step 3)."""
    if seg.size < 8:
        return seg.read(0, seg.size)
    word = seg.load(0, 8).to_bytes(8, "little")
    return word + seg.read(8, 8)


def read_control(seg: Segment, key: str) -> ctl.Control:
    """§9.1 steps 4 to 9 (BlankSegmentError, ForeignSegmentError, UnsupportedFormatError,
    KeyCollisionError, CorruptSegmentError), or the control block."""
    ctl.check_start(first_bytes(seg), seg.size, key)
    return ctl.unpack_control(seg.read(0, ctl.CONTROL_SIZE), seg.size, key)


def control_still_at(sysv: int, seg: Segment) -> bool:
    """Whether seg is still the key's control segment (not removed and replaced)."""
    try:
        return segment.lookup(sysv) == seg.id
    except OSError:
        return False


def open_set(key: str, sysv: int, control: ControlFound) -> semset.KeySet:
    """§9.2 steps 10 to 12: the key's semaphore set, checked against the control block's slot count."""
    try:
        semid = semset.find(sysv)
        if semid is None:
            if not control_still_at(sysv, control.segment):
                raise errors.nothing_shared(key)
            raise errors.damaged(key, "it has lost its semaphore set")
        stat = libc.sem_stat(semid)
    except errors.ImgShareError:
        raise
    except OSError as exc:
        if translate.is_gone(exc):
            raise errors.nothing_shared(key) from None
        raise translate.at_key(exc, key, sysv, "semaphore set") from None
    objects.check_at_key(stat.perm, key, "semaphore set")
    if stat.nsems != 2 + 2 * control.control.slot_count:
        raise errors.foreign(key, f"semaphore set ({stat.nsems} semaphores)")
    return semset.KeySet(semid, control.control.slot_count)


def set_slot_count(key: str, sysv: int, semid: int) -> int:
    """For a sender opening an existing set (§12.1 step 3): the slot count its size stands for."""
    try:
        stat = libc.sem_stat(semid)
    except OSError as exc:
        raise translate.at_key(exc, key, sysv, "semaphore set") from None
    objects.check_at_key(stat.perm, key, "semaphore set")
    count = slot_count_of(stat.nsems)
    if count is None:
        raise errors.foreign(key, f"semaphore set ({stat.nsems} semaphores)")
    return count
