"""A key's semaphore set (docs/protocol.md §6): the owner semaphore held for a sender's life, the wake
counter followers sleep on, and a gate and a pin per slot. Every operation that must be atomic is one
semop; every wait is bounded.
"""

from __future__ import annotations

import enum
import errno
import time

from ..layout import semset as layout
from . import libc

_NOWAIT, _UNDO = libc.IPC_NOWAIT, libc.SEM_UNDO
_POLL = 0.005  # a follower's look while a wake count sits at its maximum (a wrap in progress)


class SetRemoved(Exception):
    """The set was removed (EIDRM, EINVAL): its key's sender stopped, or someone removed the key."""


class PinResult(enum.Enum):
    PINNED = "pinned"
    CLOSED = "closed"  # the slot's gate is 0: not published (any more)
    FULL = "full"  # the pin is at the kernel's maximum (32767)


class WakeResult(enum.Enum):
    """How a wait for the next share ended."""

    SIGNALLED = "signalled"  # a share (or a wrap) happened
    TIMEOUT = "timeout"
    REMOVED = "removed"  # the set was removed: the sender stopped


def find(sysv: int) -> int | None:
    """The id of the set at a System V key (semget with flags 0: never creates), or None."""
    try:
        return libc.semget(sysv, 0, 0)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def create(sysv: int, slot_count: int) -> int:
    """A new 0600 set for slot_count slots, every value 0: usable at once (OSError: EEXIST and limits)."""
    return libc.semget(sysv, layout.set_size(slot_count), libc.IPC_CREAT | libc.IPC_EXCL | 0o600)


class KeySet:
    """The semaphore set of one key, by id."""

    def __init__(self, semid: int, slot_count: int):
        self.id = semid
        self.slot_count = slot_count

    def _op(self, ops: list[tuple[int, int, int]], seconds: float | None = None) -> int:
        result = libc.semop(self.id, ops, seconds)
        if result in (errno.EIDRM, errno.EINVAL):
            raise SetRemoved()
        return result

    def _value(self, number: int) -> int:
        try:
            return libc.sem_value(self.id, number)
        except OSError:
            raise SetRemoved() from None

    # -- the owner semaphore (§6.2) -------------------------------------------------------------------
    def take_owner(self, seconds: float) -> bool:
        """Wait for the owner semaphore to be free and take it (SEM_UNDO), for at most seconds."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            left = deadline - time.monotonic()
            ops = [(layout.OWNER, 0, _NOWAIT if left <= 0 else 0), (layout.OWNER, 1, _UNDO)]
            result = self._op(ops, None if left <= 0 else left)
            if result == 0:
                return True
            if result == errno.EINTR and time.monotonic() < deadline:
                continue
            if result in (errno.EAGAIN, errno.EINTR):
                return False
            raise OSError(result, "semop on the owner semaphore")

    def give_owner(self) -> None:
        try:
            self._op([(layout.OWNER, -1, _UNDO | _NOWAIT)])
        except SetRemoved:
            pass

    def owner_held(self) -> bool:
        return self._value(layout.OWNER) > 0

    def owner_pid(self) -> int:
        """The pid of the owner semaphore's holder in this PID namespace (0 when it is not visible)."""
        try:
            return libc.sem_pid(self.id, layout.OWNER)
        except OSError:
            return 0

    # -- gates and pins (§6.3) -----------------------------------------------------------------------
    def pin(self, slot: int) -> PinResult:
        """Pin slot if (and only if) its gate is open, in one semop."""
        gate, pin = layout.gate(slot), layout.pin(slot, self.slot_count)
        result = self._op([(gate, -1, _NOWAIT), (gate, 1, _NOWAIT), (pin, 1, _UNDO | _NOWAIT)])
        if result == 0:
            return PinResult.PINNED
        if result == errno.EAGAIN:
            return PinResult.CLOSED
        if result == errno.ERANGE:
            return PinResult.FULL
        raise OSError(result, "semop pinning a slot")

    def unpin(self, slot: int) -> None:
        """One reader fewer; nothing if the set was removed meanwhile."""
        libc.semop(self.id, [(layout.pin(slot, self.slot_count), -1, _UNDO | _NOWAIT)])

    def gate(self, slot: int) -> int:
        return self._value(layout.gate(slot))

    def open_gates(self) -> list[int]:
        """The slots whose gate is open, from one snapshot of the set (§10.2: a publish flips two gates
        at once; gates read one by one could show none or two)."""
        try:
            values = libc.sem_all(self.id)
        except OSError:
            raise SetRemoved() from None
        return [slot for slot in range(self.slot_count) if values[layout.gate(slot)] > 0]

    def pins(self, slot: int) -> int:
        """Readers of slot now; a set that is gone counts as pinned (never write a slot unsure)."""
        try:
            return libc.sem_value(self.id, layout.pin(slot, self.slot_count))
        except OSError:
            return 1

    def publish(self, new: int, old: int | None, count: bool) -> bool:
        """Open new's gate, close old's and count a share, in one semop (§12.3 step 5). False when a gate
        was not as the sender left it (EAGAIN); SetRemoved when the set is gone."""
        ops = [(layout.gate(new), 0, _NOWAIT), (layout.gate(new), 1, 0)]
        if old is not None:
            ops.append((layout.gate(old), -1, _NOWAIT))
        if count:
            ops.append((layout.WAKE, 1, 0))
        result = self._op(ops)
        if result == errno.EAGAIN:
            return False
        if result:
            raise OSError(result, "semop publishing a slot")
        return True

    def close_gate(self, slot: int) -> None:
        self._op([(layout.gate(slot), -1, _NOWAIT)])

    # -- the wake counter (§11) ----------------------------------------------------------------------
    def wake_value(self) -> int:
        return self._value(layout.WAKE)

    def wrap_wake(self) -> None:
        """Wake every follower (the count at its maximum), then restart the count at 1 (§11.1)."""
        try:
            libc.sem_set_value(self.id, layout.WAKE, layout.SEM_MAX)
            libc.sem_set_value(self.id, layout.WAKE, 1)
        except OSError:
            raise SetRemoved() from None

    def wait_wake(self, seen: int, seconds: float) -> WakeResult:
        """Sleep until the count differs from seen, for at most seconds (§11.2)."""
        deadline = time.monotonic() + max(0.0, seconds)
        try:
            while True:
                current = self.wake_value()
                if current != seen:
                    return WakeResult.SIGNALLED
                left = deadline - time.monotonic()
                if left <= 0:
                    return WakeResult.TIMEOUT
                if seen >= layout.SEM_MAX:  # a wrap in progress: a wait for more would return at once
                    time.sleep(min(_POLL, left))
                    continue
                target = seen + 1
                result = self._op([(layout.WAKE, -target, 0), (layout.WAKE, target, 0)], left)
                if result == 0:
                    return WakeResult.SIGNALLED
                if result not in (errno.EINTR, errno.EAGAIN):
                    raise OSError(result, "semop waiting for a share")
        except SetRemoved:
            return WakeResult.REMOVED

    def remove(self) -> None:
        """IPC_RMID; nothing if it is gone. Callers have checked that it is theirs to remove."""
        try:
            libc.sem_remove(self.id)
        except OSError:
            pass
