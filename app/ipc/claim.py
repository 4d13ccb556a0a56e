"""Claiming a key (docs/protocol.md §12.1): the semaphore set, the owner semaphore held for the
sender's life, and the control segment created, adopted (blank), replaced (damaged) or taken over.
A refused sender leaves the key as it found it.
"""

from __future__ import annotations

import errno
import os
import secrets
import time

from . import errors
from .layout import control as ctl
from .layout.semset import MIN_SLOTS
from .lookup import attach_control, read_control, set_slot_count
from .orphans import remove_all_named, remove_creating, remove_named, remove_pending
from .served import Served
from .slotdata import attach_slot
from .sysv import segment as shm
from .sysv import semset, translate
from .sysv.segment import Segment
from .sysv.semset import KeySet

SLOT_COUNT = 3  # imgshare's choice (§20): the published slot, a borrowed one and the next coexist
_OWNER_LOOK = 0.02  # seconds between looks at who holds the owner semaphore


def claim(key: str, sysv: int, timeout: float) -> Served:
    """Become the key's sender, or raise (other user, foreign, format, collision, in use, busy, limits)."""
    _peek(key, sysv)
    keyset, created = _open_or_create_set(key, sysv)
    last_owner = keyset.owner_pid()  # read before taking it: a dead sender's pid, in this PID namespace
    try:
        _take_owner(key, sysv, keyset, timeout)
    except BaseException:
        if created and shm.lookup(sysv) is None:
            keyset.remove()  # nobody else has anything at the key: leave it as we found it
        raise
    try:
        served = _control(key, sysv, keyset, last_owner)
    except BaseException:
        keyset.give_owner()
        if created and shm.lookup(sysv) is None:
            keyset.remove()
        raise
    token = secrets.randbits(64) or 1
    served.token = token
    served.control.store(ctl.OWNER_TOKEN, token, 8)
    served.control.store(ctl.OWNER_PID, os.getpid())
    served.control.store(ctl.FLAGS, ctl.FLAG_SERVING)
    return served


def _peek(key: str, sysv: int) -> None:
    """§12.1 step 2: refuse another user's, another program's, another format's or another key's
    objects before changing anything; blank, damaged or nothing go on."""
    seg = attach_control(key, sysv, read_only=True)
    if seg is None:
        return
    try:
        read_control(seg, key)
    except errors.BlankSegmentError:
        pass  # its creator died before writing it: adopted once the owner semaphore is ours
    except (errors.ForeignSegmentError, errors.UnsupportedFormatError):
        raise  # another program's, another key's (a collision) or another format's: never touched
    except errors.CorruptSegmentError:
        pass  # damaged: replaced once the owner semaphore is ours
    finally:
        seg.detach()


def _open_or_create_set(key: str, sysv: int) -> tuple[KeySet, bool]:
    """§12.1 step 3: (the set, whether this sender created it)."""
    slot_count = SLOT_COUNT
    for _ in range(100):  # other processes may create or remove it between our calls
        try:
            return KeySet(semset.create(sysv, slot_count), slot_count), True
        except OSError as exc:
            if exc.errno == errno.EINVAL and slot_count > MIN_SLOTS:
                slot_count = MIN_SLOTS  # kernel.sem SEMMSL below 8: two slots need 6 semaphores
                continue
            if exc.errno != errno.EEXIST:
                raise translate.creating_set(exc, key, 2 + 2 * slot_count) from None
        try:
            semid = semset.find(sysv)
        except OSError as exc:
            raise translate.at_key(exc, key, sysv, "semaphore set") from None
        if semid is not None:
            return KeySet(semid, set_slot_count(key, sysv, semid)), False
    raise errors.ImgShareError(f"the semaphores of key {key!r} keep being created and removed")


def _take_owner(key: str, sysv: int, keyset: KeySet, timeout: float) -> None:
    """§12.1 step 4: the owner semaphore, or KeyInUseError at once for a live sender, or
    LockTimeoutError after timeout for anything else holding it."""
    deadline = time.monotonic() + max(0.0, timeout)
    try:
        while not keyset.take_owner(min(_OWNER_LOOK, max(0.0, deadline - time.monotonic()))):
            serving = _serving_pid(key, sysv, keyset)
            if serving is not None:
                raise errors.in_use(key, serving)
            if time.monotonic() >= deadline:
                raise errors.LockTimeoutError(
                    f"the key {key!r} stayed busy for {timeout:g} s: another process (pid "
                    f"{keyset.owner_pid() or 'unknown'}) holds it without serving it; try again")
    except semset.SetRemoved:
        raise errors.LockTimeoutError(f"the semaphores of key {key!r} were removed while it was claimed") from None


def _serving_pid(key: str, sysv: int, keyset: KeySet) -> int | None:
    """The pid of a live sender holding the owner semaphore (0 when not visible), or None."""
    seg = attach_control(key, sysv, read_only=True)
    if seg is None:
        return None
    try:
        control = read_control(seg, key)
    except errors.ImgShareError:
        return None
    finally:
        seg.detach()
    if not control.serving:
        return None
    return keyset.owner_pid() or control.owner_pid


def _control(key: str, sysv: int, keyset: KeySet, last_owner: int) -> Served:
    """§12.1 step 5, holding the owner semaphore."""
    seg = attach_control(key, sysv, read_only=False)
    if seg is None:
        return _new_control(key, sysv, keyset, None)
    try:
        control = read_control(seg, key)
    except errors.BlankSegmentError:
        return _new_control(key, sysv, keyset, seg)  # its creator died before writing it: adopt it
    except (errors.ForeignSegmentError, errors.UnsupportedFormatError):
        seg.detach()
        raise
    except errors.CorruptSegmentError:
        _remove_damaged(seg)
        return _new_control(key, sysv, keyset, None)
    except BaseException:
        seg.detach()
        raise
    if control.slot_count != keyset.slot_count:
        seg.detach()
        raise errors.foreign(key, f"semaphore set ({2 + 2 * keyset.slot_count} semaphores beside a control block "
                                  f"of {control.slot_count} slots)")
    return _take_over(key, sysv, keyset, seg, control, last_owner)


def _new_control(key: str, sysv: int, keyset: KeySet, blank: Segment | None) -> Served:
    seg = blank
    if seg is None:
        try:
            shmid = shm.create(sysv, ctl.CONTROL_SIZE)
        except OSError as exc:
            if exc.errno == errno.EEXIST:  # someone made one meanwhile (we hold the owner: not a sender)
                raise errors.foreign(key) from None
            raise translate.creating_segment(exc, key, ctl.CONTROL_SIZE) from None
        seg = Segment.attach(shmid, read_only=False)
    epoch = secrets.randbits(64) or 1
    block = ctl.pack_control(ctl.Control(key=key, slot_count=keyset.slot_count, epoch=epoch))
    # The magic last, in one store: a reader sees zeros (blank) or the whole magic, never a part of it.
    seg.write(bytes(len(ctl.MAGIC)) + block[len(ctl.MAGIC):], 0)
    seg.store(0, ctl.MAGIC_WORD, 8)
    for gate in keyset.open_gates():  # a set left by an earlier life of the key: nothing is published
        keyset.close_gate(gate)
    return Served(key, sysv, seg, keyset, epoch, 0)


def _remove_damaged(seg: Segment) -> None:
    """A damaged control segment of this key: the data segments that prove to be its own, then itself."""
    remove_all_named(seg.read(0, ctl.CONTROL_SIZE))
    seg.remove()
    seg.detach()


def _take_over(key: str, sysv: int, keyset: KeySet, seg: Segment, control: ctl.Control,
               last_owner: int) -> Served:
    """A valid control block whose sender is gone (or persisted): keep it and its published image."""
    served = Served(key, sysv, seg, keyset, control.epoch, 0)
    _recover_pending(served, last_owner)
    open_gates = keyset.open_gates()
    for gate in open_gates[1:]:
        keyset.close_gate(gate)
    served.published = open_gates[0] if open_gates else None
    sequence = control.sequence
    for index, entry in enumerate(control.slots):
        if entry.empty:
            continue
        try:
            data = attach_slot(key, entry, read_only=False)
        except errors.ImgShareError:
            continue  # gone or not ours: the slot gets a new data segment when it is chosen
        try:
            descriptor = data.descriptor(key, control.epoch)
        except errors.ImgShareError:
            data.segment.detach()
            if index != served.published:
                remove_named(entry, control.epoch)
            continue
        if index == served.published:
            sequence = max(sequence, descriptor.sequence)
        served.slots[index] = data
    served.sequence = sequence
    return served


def _recover_pending(served: Served, last_owner: int) -> None:
    """§12.4: a sender killed while making a data segment leaves one that nothing names: remove it.
    last_owner: the pid (in this PID namespace) that last changed the owner semaphore: the dead sender."""
    raw = served.control.read(0, ctl.CONTROL_SIZE)
    pending = int.from_bytes(raw[ctl.PENDING:ctl.PENDING + 8], "little")
    if pending:
        named = {int.from_bytes(raw[e + 8:e + 12], "little") for e in (ctl.slot_entry(i) for i in range(8))
                 if int.from_bytes(raw[e:e + 8], "little")}
        epoch = int.from_bytes(raw[16:24], "little")
        if pending >> 32 == ctl.Pending.CREATED and pending & 0xFFFFFFFF not in named:
            remove_pending(pending & 0xFFFFFFFF, epoch)
        elif pending >> 32 == ctl.Pending.CREATING and last_owner > 0:
            remove_creating(last_owner, named)
    served.control.store(ctl.PENDING, 0, 8)
