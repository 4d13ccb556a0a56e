"""Removing data segments that a control block names or once named, only when they prove to be that
key's (docs/protocol.md §12.4, §13): the object check, IPC_PRIVATE, and the key's epoch and the entry's
generation in their descriptor. Claiming, stopping and cleaning all remove through here."""

from __future__ import annotations

import os

from .layout import control as ctl
from .layout import descriptor as dsc
from .sysv import libc, objects, procfs
from .sysv.segment import Segment


def _attach_mine(shmid: int, *, unattached: bool, owner: int | None = None) -> Segment | None:
    try:
        stat = libc.shm_stat(shmid)
    except OSError:
        return None
    if objects.data_problem(stat.perm, owner) is not None or stat.removed or (unattached and stat.nattch):
        return None
    try:
        return Segment.attach(shmid, read_only=True)
    except Exception:
        return None


def remove_named(entry: ctl.Slot, epoch: int, owner: int | None = None) -> None:
    """Remove the data segment a slot table entry names if it carries this epoch and generation."""
    seg = _attach_mine(entry.shmid, unattached=False, owner=owner)
    if seg is None:
        return
    try:
        if seg.read(0, 8) == dsc.MAGIC and seg.load(16, 8) == epoch and seg.load(24, 8) == entry.generation:
            seg.remove()
    finally:
        seg.detach()


def remove_pending(shmid: int, epoch: int) -> None:
    """A data segment a dead sender had made and not yet named (pending state 2): removed when nobody
    is attached and it is blank or of this epoch."""
    seg = _attach_mine(shmid, unattached=True)
    if seg is None:
        return
    try:
        start = seg.read(0, 24)
        if not any(start[:8]) or (start[:8] == dsc.MAGIC and int.from_bytes(start[16:24], "little") == epoch):
            seg.remove()
    finally:
        seg.detach()


def remove_creating(owner_pid: int, named: set[int]) -> None:
    """A dead sender killed between "creating" and "created" (pending state 1): its blank private
    segments with nobody attached."""
    for row in procfs.shm_rows():
        if (row.get("key") == 0 and row.get("uid") == os.geteuid() and row.get("cpid") == owner_pid
                and row.get("nattch") == 0 and row.get("shmid") not in named):
            seg = _attach_mine(row["shmid"], unattached=False)
            if seg is None:
                continue
            try:
                if not any(seg.read(0, 8)):
                    seg.remove()
            finally:
                seg.detach()


def remove_all_named(raw: bytes, last_owner: int = 0, owner: int | None = None) -> None:
    """Every data segment a control block (its raw bytes) names or has pending, when provably its own.
    last_owner: the pid that last changed the key's owner semaphore (0: unknown); owner: the uid of the
    share when root removes another user's (its pending segments are then left alone)."""
    epoch = int.from_bytes(raw[16:24], "little")
    named = set()
    for index in range(8):
        entry = ctl.slot_entry(index)
        slot = ctl.Slot(int.from_bytes(raw[entry:entry + 8], "little"),
                        int.from_bytes(raw[entry + 8:entry + 12], "little"))
        if not slot.empty:
            named.add(slot.shmid)
            remove_named(slot, epoch, owner)
    if owner is not None:
        return
    pending = int.from_bytes(raw[ctl.PENDING:ctl.PENDING + 8], "little")
    if pending >> 32 == ctl.Pending.CREATED and pending & 0xFFFFFFFF not in named:
        remove_pending(pending & 0xFFFFFFFF, epoch)
    elif pending >> 32 == ctl.Pending.CREATING and last_owner > 0:
        remove_creating(last_owner, named)
