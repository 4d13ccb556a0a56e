"""One System V shared-memory segment: create, open, view, detach safely, remove.

sysv_ipc lets a process detach a segment while memoryviews of it are still in use, and touching such a
view crashes the process. So every view handed out is tracked, and a segment is detached only once all
of them can be released; one whose views are still borrowed (a caller keeps an image that maps it)
lingers, attached, until a later detach finds it free.
"""

from __future__ import annotations

import ctypes
import threading
import weakref

import sysv_ipc

from . import kernel
from .control import MAGIC
from .errors import AccessDeniedError, NotSharedError, TooLargeError

_lingering: list[Segment] = []  # detached later, when their borrowed views are gone
_lingering_guard = threading.RLock()


class Segment:
    """An attached segment and the views taken of it."""

    def __init__(self, shm: sysv_ipc.SharedMemory, key_name: str, read_only: bool = False) -> None:
        self._shm = shm
        self._read_only = read_only  # views are read-only too: a write through one would crash
        self._key_name = key_name
        self._base: memoryview | None = None
        self._views: list[memoryview] = []
        self._held: list[weakref.ref[object]] = []  # objects that use the mapping without a buffer export
        self._detached = False
        self._populated = False

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, sysv: int, size: int, key_name: str) -> Segment:
        """Create a new zero-filled 0600 segment at sysv; raises FileExistsError if the key is taken.

        shmget() is called directly: sysv_ipc fills a new segment itself while holding the GIL (about
        0.16 s for an 8K image, a frozen window), while the kernel zero-fills pages lazily anyway.
        """
        try:
            shmid = kernel.shmget_new(sysv, size)
            shm = sysv_ipc.attach(shmid) if shmid is not None else sysv_ipc.SharedMemory(
                sysv, sysv_ipc.IPC_CREX, mode=0o600, size=size, init_character=b"\0")
        except (sysv_ipc.ExistentialError, FileExistsError):
            raise FileExistsError(sysv) from None
        except (sysv_ipc.PermissionsError, PermissionError):
            raise AccessDeniedError(f"permission denied creating the segment of key {key_name!r}") from None
        except (ValueError, OSError, MemoryError, sysv_ipc.Error) as exc:
            raise TooLargeError(
                f"the system refused a {size / 1e6:.1f} MB shared-memory segment ({exc}); "
                "the image is too large for this machine's limits (see /proc/sys/kernel/shmmax)"
            ) from None
        return cls(shm, key_name)

    @classmethod
    def open(cls, sysv: int, key_name: str, read_only: bool = False) -> Segment:
        """Attach the existing segment at sysv; NotSharedError if there is none."""
        try:
            shm = sysv_ipc.SharedMemory(sysv, 0)
            if read_only:
                shm.detach()
                shm.attach(address=None, flags=sysv_ipc.SHM_RDONLY)
        except (sysv_ipc.ExistentialError, ValueError):  # ValueError: removed between the two calls
            raise NotSharedError(f"nothing is shared under the key {key_name!r}") from None
        except sysv_ipc.PermissionsError:
            raise AccessDeniedError(
                f"permission denied for the segment of key {key_name!r} (it belongs to another user)"
            ) from None
        return cls(shm, key_name, read_only)

    @classmethod
    def attach_id(cls, shmid: int, key_name: str = "") -> Segment:
        """Attach a segment read-only by id (for listing); NotSharedError if it is gone."""
        try:
            # Keywords matter: attach's second positional parameter is the address, not the flags.
            shm = sysv_ipc.attach(shmid, address=None, flags=sysv_ipc.SHM_RDONLY)
        except (sysv_ipc.ExistentialError, ValueError):  # ValueError: the id went away meanwhile
            raise NotSharedError(f"segment {shmid} no longer exists") from None
        except sysv_ipc.PermissionsError:
            raise AccessDeniedError(f"permission denied for segment {shmid}") from None
        return cls(shm, key_name, read_only=True)

    # -- facts -------------------------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self._shm.id

    @property
    def size(self) -> int:
        return self._shm.size

    @property
    def creator_pid(self) -> int:
        try:
            return self._shm.creator_pid
        except sysv_ipc.ExistentialError:
            return 0

    def number_attached(self) -> int:
        """Processes attached now (including this one); 0 if the segment was removed meanwhile."""
        try:
            return self._shm.number_attached
        except sysv_ipc.ExistentialError:
            return 0

    # -- data --------------------------------------------------------------------------------------
    def view(self, offset: int, length: int) -> memoryview:
        """A tracked memoryview of [offset, offset + length); released before detaching."""
        if self._base is None:
            self._base = memoryview(self._shm)
        if offset < 0 or length < 0 or offset + length > len(self._base):
            raise ValueError("view outside the segment")
        view = self._base[offset:offset + length]
        if self._read_only:  # sysv_ipc exports a SHM_RDONLY mapping as writable
            view = view.toreadonly()
        self._views.append(view)
        return view

    def populate(self) -> None:
        """Map all pages at once (MADV_POPULATE_READ, Linux 5.14+) instead of one fault per page;
        done once per attachment."""
        if not self._populated:
            self._populated = True
            kernel.populate(self._shm.address, self.size)

    def read(self, offset: int, length: int) -> bytes:
        """A copy of [offset, offset + length), clipped to the segment."""
        length = max(0, min(length, self.size - offset))
        return self._shm.read(length, offset) if length else b""

    def write(self, data: bytes, offset: int) -> None:
        self._shm.write(data, offset)

    def store(self, offset: int, value: int, width: int = 4) -> None:
        """Write one aligned little-endian word of width 4 or 8 bytes with a single store, so a process
        killed at any instant leaves it old or new, never half-written (protocol.md, section 3.1)."""
        if offset % width or not 0 <= offset <= self.size - width:
            raise ValueError("store outside the segment or misaligned")
        word = ctypes.c_uint32 if width == 4 else ctypes.c_uint64
        word.from_address(self._shm.address + offset).value = value  # x86-64 and arm64: little-endian

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
        """Mark the segment for removal: its key is free at once; attached processes keep it."""
        try:
            self._shm.remove()
        except sysv_ipc.ExistentialError:
            pass


def sweep_lingering() -> None:
    """Detach the lingering segments whose borrowed views have all been dropped."""
    with _lingering_guard:
        for segment in list(_lingering):
            if segment.release_views():
                _lingering.remove(segment)
                segment._detach_now()


def remove_by_id(shmid: int) -> None:
    """Remove a segment by id (used by clean, on segments it has proved to be stale and ours)."""
    try:
        sysv_ipc.remove_shared_memory(shmid)
    except sysv_ipc.ExistentialError:
        pass


SHM_DEST = 0o1000  # set in shm_perm.mode once a segment is marked for removal


def is_removed(segment: Segment) -> bool:
    """Whether the segment was removed under us (its key may now name another segment)."""
    try:
        return bool(segment._shm.mode & SHM_DEST)
    except sysv_ipc.ExistentialError:
        return True


def peek_start(sysv: int, key_name: str, length: int = 8) -> bytes | None:
    """The first bytes of the segment at sysv, read without the lock; None if there is none (or it
    is not ours to read)."""
    try:
        segment = Segment.open(sysv, key_name, read_only=True)
    except (NotSharedError, AccessDeniedError):
        return None
    try:
        return segment.read(0, length)
    finally:
        segment.detach()


def holds_foreign_data(sysv: int, key_name: str) -> bool:
    """Whether the segment at sysv (if any) visibly belongs to another program, checked without the lock.

    Our segments are all zero until their first header is written under the lock, so only non-zero
    bytes that are not our magic prove a segment foreign; an all-zero start proves nothing yet.
    """
    start = peek_start(sysv, key_name, len(MAGIC))
    return start is not None and any(start) and start != MAGIC


def id_at(sysv: int) -> int | None:
    """The id of the segment at sysv now, or None (looked up without attaching it)."""
    try:
        return kernel.shmget_existing(sysv)
    except PermissionError:
        return None  # not ours: opening it next says "permission denied"
    except LookupError:
        pass
    try:  # no ctypes: attach and detach at once (never touched, so cheap)
        shm = sysv_ipc.SharedMemory(sysv, 0)
    except (sysv_ipc.ExistentialError, sysv_ipc.PermissionsError):
        return None
    ident = shm.id
    try:
        shm.detach()
    except sysv_ipc.Error:
        pass
    return ident
