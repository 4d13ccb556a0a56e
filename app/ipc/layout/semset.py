"""Which semaphore of a key's set does what (docs/protocol.md §6.1): owner, wake, a gate and a pin per
slot."""

from __future__ import annotations

OWNER = 0
WAKE = 1
MIN_SLOTS, MAX_SLOTS = 2, 8
SEM_MAX = 32767  # the kernel's largest semaphore value (SEMVMX)
WAKE_WRAP_AT = 32000  # at or above: the sender wraps the count (§11.1)


def gate(slot: int) -> int:
    return 2 + slot


def pin(slot: int, slot_count: int) -> int:
    return 2 + slot_count + slot


def set_size(slot_count: int) -> int:
    """Semaphores in the set of a key with slot_count slots."""
    return 2 + 2 * slot_count


def slot_count_of(set_size: int) -> int | None:
    """The slot count a set of set_size semaphores stands for; None if no slot count fits."""
    count, odd = divmod(set_size - 2, 2)
    return count if not odd and MIN_SLOTS <= count <= MAX_SLOTS else None
