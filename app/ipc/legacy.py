"""Shares of older formats (docs/protocol.md §16): never read or taken over, only removed on request.

Format 2 kept a segment and a 1-semaphore lock at the key's System V key, and a pin set (8) and a wake
semaphore (1) at keys derived from 0xFF and 0xFE + the key. Those derived keys may equal another key's
System V key, so its semaphores are removed only when they are this user's, have format 2's sizes, and
no segment sits at their keys.
"""

from __future__ import annotations

from .layout.keys import recipe, validate_key
from .sysv import libc, objects, semset
from .sysv import segment as shm
from .sysv.segment import Segment


def remove_old_format(key: str, sysv: int, seg: Segment) -> None:
    """Remove an old-format segment (already checked: this user's, 0600, our magic) and its semaphores."""
    seg.remove()
    seg.detach()
    encoded = validate_key(key)
    for at, size in ((sysv, 1), (recipe(b"\xff" + encoded), 8), (recipe(b"\xfe" + encoded), 1)):
        _remove_set(at, size, needs_no_segment=at != sysv)


def _remove_set(sysv: int, size: int, needs_no_segment: bool) -> None:
    try:
        semid = semset.find(sysv)
        if semid is None:
            return
        stat = libc.sem_stat(semid)
        if needs_no_segment and shm.lookup(sysv) is not None:
            return  # something else lives at that key: its semaphores may be another key's
    except OSError:
        return
    if objects.is_mine(stat.perm) and stat.perm.mode & 0o777 == objects.MODE and stat.nsems == size:
        semset.KeySet(semid, 0).remove()
