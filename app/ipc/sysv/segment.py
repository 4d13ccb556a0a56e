"""One System V shared-memory segment: look it up, create it, attach it, view it, detach it safely,
remove it.

sysv_ipc lets a process detach a segment while memoryviews of it are still in use, and touching such a
view crashes the process. So every view handed out is tracked, and a segment is detached only once all
of them can be released; one whose views are still borrowed (a caller keeps an image or array that maps
it) lingers, attached, until a later detach finds it free.
"""

from __future__ import annotations

import ctypes
import errno
import threading
import weakref

import sysv_ipc

from . import libc

_lingering: list[Segment] = []  # detached later, when their borrowed views are gone
_lingering_guard = threading.RLock()
_WORDS = {4: ctypes.c_uint32, 8: ctypes.c_uint64}


def lookup(sysv: int) -> int | None:
    """The id of the segment at a System V key now (shmget with flags 0: never creates), or None.
    Raises OSError for anything but 'no segment there'."""
    try:
        return libc.shmget(sysv, 0, 0)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def create(sysv: int, size: int) -> int:
    """shmget(IPC_CREAT | IPC_EXCL | 0600): a new zero-filled segment at sysv (IPC_PRIVATE: one only
    found by its id). Raises OSError (EEXIST when the key is taken). Called through ctypes: sysv_ipc fills
    a new segment itself holding the GIL, while the kernel zero-fills pages lazily anyway."""
    flags = libc.IPC_CREAT | 0o600 | (libc.IPC_EXCL if sysv != libc.IPC_PRIVATE else 0)
    return libc.shmget(sysv, size, flags)


class Segment:
    """An attached segment and the views taken of it."""

    def __init__(self, shm: sysv_ipc.SharedMemory, read_only: bool) -> None:
        self._shm = shm
        self.read_only = read_only  # views are read-only too: a write through one would crash
        self.id: int = shm.id
        self.size: int = shm.size
        self._base: memoryview | None = None
        self._views: list[memoryview] = []
        self._held: list[weakref.ref[object]] = []  # objects that use the mapping without a buffer export
        self._detached = False
        self._populated = 0  # bytes from the start already faulted in (pages stay mapped while attached)

    @classmethod
    def attach(cls, shmid: int, *, read_only: bool) -> Segment:
        """Attach by id; OSError-like sysv_ipc errors when it is gone or not ours to attach."""
        flags = sysv_ipc.SHM_RDONLY if read_only else 0
        # Keywords matter: attach's second positional parameter is the address, not the flags.
        return cls(sysv_ipc.attach(shmid, address=None, flags=flags), read_only)

    # -- facts -------------------------------------------------------------------------------------
    def stat(self) -> libc.ShmStat:
        """IPC_STAT now (OSError when the segment is gone)."""
        return libc.shm_stat(self.id)

    def removed(self) -> bool:
        """Whether the segment was marked for removal (or is gone): its key may name another now."""
        try:
            return self.stat().removed
        except OSError:
            return True

    @property
    def address(self) -> int:
        return int(self._shm.address)

    # -- data --------------------------------------------------------------------------------------
    def view(self, offset: int, length: int) -> memoryview:
        """A tracked memoryview of [offset, offset + length); released before detaching."""
        if self._base is None:
            self._base = memoryview(self._shm)
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ValueError("view outside the segment")
        view = self._base[offset:offset + length]
        if self.read_only:  # sysv_ipc exports a SHM_RDONLY mapping as writable
            view = view.toreadonly()
        self._views.append(view)
        return view

    def read(self, offset: int, length: int) -> bytes:
        """A copy of [offset, offset + length), clipped to the segment."""
        length = max(0, min(length, self.size - offset))
        return self._shm.read(length, offset) if length else b""

    def write(self, data: bytes | bytearray | memoryview, offset: int) -> None:
        self._shm.write(data, offset)

    def load(self, offset: int, width: int = 4) -> int:
        """One aligned little-endian word, read with a single load (never half of a concurrent store)."""
        self._check_word(offset, width)
        return int(_WORDS[width].from_address(self.address + offset).value)

    def store(self, offset: int, value: int, width: int = 4) -> None:
        """Write one aligned little-endian word with a single store, so a process killed at any instant
        leaves it old or new, never half-written (docs/protocol.md §5)."""
        self._check_word(offset, width)
        _WORDS[width].from_address(self.address + offset).value = value  # x86-64 and arm64: little-endian

    def _check_word(self, offset: int, width: int) -> None:
        if width not in _WORDS or offset % width or not 0 <= offset <= self.size - width:
            raise ValueError("word outside the segment or misaligned")

    def populate(self, length: int) -> None:
        """Fault in [0, length) at once instead of one fault per page; once per attachment (a reader
        keeps its data segments attached, and their pages stay mapped)."""
        length = max(0, min(length, self.size))
        if length > self._populated:
            libc.populate(self.address + self._populated, length - self._populated)
            self._populated = length

    def hold(self, user: object) -> None:
        """Keep the mapping while user lives. numpy arrays over a view hold no buffer export of it (numpy
        keeps a memoryview of its own over the same memory), so releasing the view cannot tell that
        they are alive: the object they all refer to is watched instead."""
        self._held.append(weakref.ref(user))

    def release_views(self) -> bool:
        """Release every tracked view; False if some are still borrowed by live objects."""
        self._held = [ref for ref in self._held if ref() is not None]
        still_borrowed = []
        for view in self._views:
            try:
                view.release()
            except BufferError:
                still_borrowed.append(view)
        self._views = still_borrowed
        if not still_borrowed and not self._held and self._base is not None:
            self._base.release()
            self._base = None
        return not still_borrowed and not self._held

    # -- ending ------------------------------------------------------------------------------------
    def detach(self) -> None:
        """Detach now if no view is borrowed, else let it linger until a later sweep can."""
        sweep_lingering()
        if self._detached:
            return
        if self.release_views():
            self._detach_now()
        else:
            with _lingering_guard:
                if self not in _lingering:
                    _lingering.append(self)

    def _detach_now(self) -> None:
        if self._detached:
            return
        self._detached = True
        try:
            self._shm.detach()
        except (sysv_ipc.NotAttachedError, sysv_ipc.ExistentialError):
            pass

    def remove(self) -> None:
        """Mark the segment for removal: no key finds it any more; attached processes keep it."""
        remove_by_id(self.id)


def sweep_lingering() -> None:
    """Detach the lingering segments whose borrowed views have all been dropped."""
    with _lingering_guard:
        for segment in list(_lingering):
            if segment.release_views():
                _lingering.remove(segment)
                segment._detach_now()


def remove_by_id(shmid: int) -> None:
    """IPC_RMID by id; nothing if it is already gone. Callers have checked that it is theirs to remove."""
    try:
        libc.shm_remove(shmid)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EIDRM):
            raise
