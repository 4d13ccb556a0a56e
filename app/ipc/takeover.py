"""May a sender take over the segment it finds at its key? (docs/protocol.md §7.1)

A blank or damaged segment of ours is replaced; a sound one whose sender is gone (or that was
persisted) is adopted as it is, its sequence continued; a live sender's is refused (key in use), and
another program's, another key's or another format's is never touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import control as ctl
from . import header as hdr
from .errors import CorruptSegmentError, ForeignSegmentError, KeyInUseError, UnsupportedFormatError
from .liveness import is_alive
from .segment import Segment


@dataclass(frozen=True)
class Adoption:
    """A segment to take over as it is: its control block, and the sequence its image reached."""

    control: ctl.Control
    sequence: int  # of the published image; 0 when nothing was published


def judge_found_segment(existing: Segment, key: str) -> Adoption | None:
    """Called holding the key's lock. An Adoption for a segment to take over as it is; None for one
    to replace; raises for one that must not be touched."""
    raw = existing.read(0, ctl.CONTROL_SIZE)
    if ctl.is_blank(raw):
        # Created but never written: its sender died in between (we hold the lock, so nobody is
        # writing it now). Take it unless that creator still runs or someone else is attached.
        creator = existing.creator_pid
        if creator != os.getpid() and is_alive(creator):
            raise KeyInUseError(f"the key {key!r} is in use by pid {creator}", pid=creator)
        if existing.number_attached() > 1:
            raise KeyInUseError(f"the key {key!r} is being set up by another process")
        return None
    try:
        control = ctl.unpack_control(raw, existing.size, key)
    except (ForeignSegmentError, UnsupportedFormatError):
        raise  # another program's, another key's or another format's: not ours to replace
    except CorruptSegmentError:
        return None  # our format but damaged: the lock is ours now, so nobody is writing it
    if not control.persisted and control.owner_pid != os.getpid() and is_alive(control.owner_pid,
                                                                               control.owner_start):
        raise KeyInUseError(f"the key {key!r} is in use by pid {control.owner_pid}", pid=control.owner_pid)
    if control.published is None:
        return Adoption(control, 0)
    _, capacity = control.slots[control.published]
    try:
        published = hdr.unpack_header(existing.read(ctl.descriptor_offset(control.published),
                                                    hdr.DESCRIPTOR_SIZE), capacity)
    except CorruptSegmentError:
        return None  # its image is damaged: replace the segment
    return Adoption(control, published.sequence)
