"""A key as its sender serves it (docs/protocol.md §12, §13): the control segment and semaphore set it
owns, its slots' data segments, and the steps that write an image into a slot no reader can pin and
publish it with one semop.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from . import errors
from .layout import control as ctl
from .layout import descriptor as dsc
from .layout.semset import WAKE_WRAP_AT
from .orphans import remove_named
from .slotdata import SlotData
from .sysv import libc, translate
from .sysv import segment as shm
from .sysv.limits import check_fits
from .sysv.segment import Segment
from .sysv.semset import KeySet, SetRemoved

_SHRINK_FACTOR = 4  # give back a data segment more than 4x larger than the image needs (plus the slack)
_SHRINK_SLACK = 1 << 20
PAGE = 4096


class Lost(Exception):
    """The key is no longer this sender's: removed (imgshare remove --force), or taken over."""

    def __init__(self, removed: bool):
        super().__init__("removed" if removed else "taken over")
        self.removed = removed


def round_up(length: int) -> int:
    return max(PAGE, (length + PAGE - 1) // PAGE * PAGE)


def fits(capacity: int, length: int) -> bool:
    """Whether a slot of capacity holds length bytes without being more than 4x too big (§12.5)."""
    return length <= capacity <= _SHRINK_FACTOR * round_up(length) + _SHRINK_SLACK


@dataclass
class SlotWrite:
    """A slot chosen for the next image: its data segment, and whether it was just made for it."""

    slot: int
    data: SlotData
    new: bool


@dataclass
class Served:
    """What a sender holds while it serves a key."""

    key: str
    sysv: int
    control: Segment
    keyset: KeySet
    epoch: int
    token: int
    slots: dict[int, SlotData] = field(default_factory=dict)  # reusable data segments (checked)
    published: int | None = None
    sequence: int = 0  # the last sequence published in this epoch
    made: set[int] = field(default_factory=set)  # ids of the data segments this process made
    last_published: dict[int, int] = field(default_factory=dict)  # slot -> sequence it last published

    # -- choosing and making slots (§12.2, §12.4) ------------------------------------------------------
    def choose(self, length: int) -> SlotWrite:
        """A slot other than the published one for an image of length bytes: one whose data segment
        can be reused (unpinned, big enough, not much too big), or one given a new data segment."""
        # The slot published longest ago first: the one just replaced may still be read by slow readers.
        others = sorted((slot for slot in range(self.keyset.slot_count) if slot != self.published),
                        key=lambda slot: self.last_published.get(slot, -1))
        pins = {slot: self.keyset.pins(slot) for slot in others}
        for slot in others:
            data = self.slots.get(slot)
            if data is not None and pins[slot] == 0 and fits(data.capacity, length):
                return SlotWrite(slot, data, new=False)
        slot = min(others, key=lambda s: pins[s] > 0)  # a pinned segment is left to its readers
        return SlotWrite(slot, self._make(length), new=True)

    def _make(self, length: int) -> SlotData:
        """§12.4 steps 1 to 3: a new private data segment, named in pending until the table names it."""
        size = dsc.DESCRIPTOR_SIZE + round_up(length)
        check_fits(size)  # refuse early, with a sentence naming the limit
        self.control.store(ctl.PENDING, ctl.Pending.CREATING << 32, 8)
        try:
            shmid = shm.create(libc.IPC_PRIVATE, size)
        except OSError as exc:
            self.control.store(ctl.PENDING, 0, 8)
            raise translate.creating_segment(exc, self.key, size) from None
        self.control.store(ctl.PENDING, ctl.Pending.CREATED << 32 | shmid, 8)
        self.made.add(shmid)
        try:
            seg = Segment.attach(shmid, read_only=False)
        except Exception as exc:
            shm.remove_by_id(shmid)
            self.control.store(ctl.PENDING, 0, 8)
            raise translate.in_share(exc, self.key, "new data segment") from None
        generation = self.control.load(ctl.GENERATION, 8) + 1
        self.control.store(ctl.GENERATION, generation, 8)
        return SlotData(seg, ctl.Slot(generation, shmid))

    def discard(self, chosen: SlotWrite) -> None:
        """Undo a new data segment that will not be used (its image could not be written or published)."""
        if chosen.new and chosen.data.entry.shmid in self.made:
            chosen.data.segment.remove()
            chosen.data.segment.detach()
            self.made.discard(chosen.data.entry.shmid)
            self.control.store(ctl.PENDING, 0, 8)

    def commit(self, chosen: SlotWrite) -> None:
        """§12.4 steps 5 to 7: the new data segment replaces the slot's old one in the table."""
        if not chosen.new:
            return
        old = self.slots.pop(chosen.slot, None)
        entry = ctl.slot_entry(chosen.slot)
        old_id = self.control.load(entry + 8, 4) if self.control.load(entry, 8) else None
        if old is not None:
            old.segment.remove()
            old.segment.detach()
            self.made.discard(old.entry.shmid)
        elif old_id is not None and old_id != chosen.data.entry.shmid:
            remove_named(ctl.Slot(self.control.load(entry, 8), old_id), self.epoch)
        self.control.store(entry + 8, chosen.data.entry.shmid, 4)
        self.control.store(entry, chosen.data.entry.generation, 8)
        self.control.store(ctl.PENDING, 0, 8)
        self.slots[chosen.slot] = chosen.data

    # -- writing and publishing (§12.3) ----------------------------------------------------------------
    def begin_write(self, chosen: SlotWrite) -> int:
        """Mark a reused data segment as being rewritten (write_count odd); the count to write."""
        if chosen.new:
            return 0
        count = chosen.data.segment.load(dsc.WRITE_COUNT) + 1 | 1
        chosen.data.segment.store(dsc.WRITE_COUNT, count & 0xFFFFFFFF)
        return count & 0xFFFFFFFF

    def end_write(self, chosen: SlotWrite, descriptor: bytes, count: int) -> None:
        chosen.data.segment.write(descriptor, 0)
        if not chosen.new:
            chosen.data.segment.store(dsc.WRITE_COUNT, (count + 1) & 0xFFFFFFFF)

    def check_ownership(self) -> None:
        """§12.3 step 4: the control segment is still at the key and the owner token still ours."""
        try:
            current = shm.lookup(self.sysv)
        except OSError:
            current = None
        if current != self.control.id:
            raise Lost(removed=True)
        if self.control.load(ctl.OWNER_TOKEN, 8) != self.token:
            raise Lost(removed=False)

    def publish(self, slot: int, sequence: int) -> None:
        """§12.3 steps 5 and 6: open slot's gate, close the old one and count the share, in one semop."""
        try:
            count = self.keyset.wake_value() < WAKE_WRAP_AT
            if not self.keyset.publish(slot, self.published, count):
                for gate in self.keyset.open_gates():  # another process changed a gate: start clean
                    self.keyset.close_gate(gate)
                if not self.keyset.publish(slot, None, count):
                    raise errors.damaged(self.key, "its gates keep being changed by another process")
            if not count:
                self.keyset.wrap_wake()
        except SetRemoved:
            raise Lost(removed=True) from None
        self.control.store(ctl.PUBLISHED, slot)
        self.control.store(ctl.SEQUENCE, sequence, 8)
        self.published, self.sequence = slot, sequence
        self.last_published[slot] = sequence

    # -- ending (§13) ---------------------------------------------------------------------------------
    def remove_everything(self) -> None:
        """Close: the data segments, the control segment, then the set last (waking every follower)."""
        for data in self.slots.values():
            data.segment.remove()
        for index in range(self.keyset.slot_count):
            entry = ctl.slot_entry(index)
            generation = self.control.load(entry, 8)
            if generation and index not in self.slots:
                remove_named(ctl.Slot(generation, self.control.load(entry + 8, 4)), self.epoch)
        self.control.remove()
        self.keyset.remove()
        self.detach()

    def persist(self) -> None:
        """Leave on purpose: PERSISTED, the owner semaphore given back, everything left (§13.2)."""
        self.control.store(ctl.FLAGS, ctl.FLAG_PERSISTED)
        self.keyset.give_owner()
        self.detach()

    def abandon(self, lost: Lost) -> None:
        """The key was removed or taken over (§12.6): keep nothing; remove only what this process made
        and nothing names any more."""
        if lost.removed:
            for shmid in self.made:
                try:
                    stat = libc.shm_stat(shmid)
                except OSError:
                    continue
                if stat.perm.key == libc.IPC_PRIVATE and stat.cpid == os.getpid() and not stat.removed:
                    shm.remove_by_id(shmid)
        self.detach()

    def detach(self) -> None:
        for data in self.slots.values():
            data.segment.detach()
        self.slots.clear()
        self.control.detach()


def now_ns() -> int:
    return time.time_ns()
