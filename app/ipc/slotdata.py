"""A slot's data segment: attached by the id the slot table gives, checked (docs/protocol.md §9.3 steps
15 to 17), and its descriptor read. Readers keep these attached between reads; senders write them."""

from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .layout import control as ctl
from .layout import descriptor as dsc
from .sysv import libc, objects, translate
from .sysv.segment import Segment


@dataclass
class SlotData:
    """An attached data segment and the table entry that named it."""

    segment: Segment
    entry: ctl.Slot
    _checked: tuple[int, dsc.Descriptor] | None = None  # (write_count, descriptor) last validated

    @property
    def capacity(self) -> int:
        return self.segment.size - dsc.DESCRIPTOR_SIZE

    def descriptor(self, key: str, epoch: int, write_count: int | None = None) -> dsc.Descriptor:
        """§9.3 steps 17 and 18 on a copy of the descriptor. With write_count (read before, the slot
        pinned), a descriptor validated at that same count is not copied and checked again: a sender
        bumps the count whenever it rewrites the segment (a follower reads the same one many times)."""
        if write_count is not None and self._checked is not None and self._checked[0] == write_count:
            return self._checked[1]
        found = dsc.unpack_descriptor(self.segment.read(0, dsc.DESCRIPTOR_SIZE), self.capacity, epoch,
                                      self.entry.generation, key)
        if write_count is not None and found.write_count == write_count and not write_count % 2:
            self._checked = (write_count, found)
        return found

    def payload(self, length: int) -> memoryview:
        return self.segment.view(dsc.DESCRIPTOR_SIZE, length)


def attach_slot(key: str, entry: ctl.Slot, *, read_only: bool) -> SlotData:
    """§9.3 steps 14 to 16: the data segment a non-empty entry names, after the object check."""
    if entry.empty:
        raise errors.damaged(key, "its published slot has no data segment")
    try:
        stat = libc.shm_stat(entry.shmid)
    except OSError as exc:
        raise translate.in_share(exc, key, "published slot's data segment") from None
    problem = objects.data_problem(stat.perm)
    if problem:
        raise errors.damaged(key, problem)
    if stat.size < dsc.DESCRIPTOR_SIZE:
        raise errors.damaged(key, f"a data segment of {stat.size} bytes cannot hold a slot descriptor")
    try:
        seg = Segment.attach(entry.shmid, read_only=read_only)
    except Exception as exc:  # sysv_ipc's errors: gone or not ours meanwhile
        raise translate.in_share(exc, key, "published slot's data segment") from None
    return SlotData(seg, entry)
