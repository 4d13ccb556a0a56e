"""QtSender and QtReceiver: imgshare's Sender/Receiver API over Qt's QSharedMemory conventions.

They follow QSharedMemory step by step (keys.py cites the sources): the sender creates the key files,
the semaphore (unless one exists) and a segment sized to the stream, writes it under the lock and stays
attached; a receiver opens the semaphore, locks, attaches, copies the stream, and detaches; whoever
detaches last removes the segment and its key file; whoever created the semaphore removes it and its
file. So a Qt program on the other side behaves as if it met another Qt program.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any

from PIL import Image

from ...image16 import Image16
from ..claims import Claim
from ..defaults import DEFAULT_LOCK_TIMEOUT
from ..errors import (
    ForeignSegmentError,
    ImageError,
    InvalidTagsError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
)
from ..info import Received
from ..kinds import ChannelKind
from ..layout.keys import validate_key
from ..layout.size import check_image_size
from ..sysv.limits import check_fits
from ..sysv.procfs import shm_row, shmid_at
from ..sysv.segment import Segment, remove_by_id
from ..waiting import when_shared
from . import segments
from .info import QtShareInfo, build_info
from .keys import QtKey, create_key_file, ftok, remove_key_file
from .semaphore import QtSemaphore
from .stream import decode, encode, locate, peek, source_name_of

_SHRINK_FACTOR = 2  # a stream less than half the segment gets a new, smaller segment


class QtSender:
    """Shares Pillow images the way Qt's demo does: `with QtSender("169254") as s: s.share(image)`."""

    kind = ChannelKind.QT

    def __init__(self, key: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, compress_level: int = 1,
                 temp_dir: str | None = None):
        validate_key(key)
        self.key = key
        self.paths = QtKey.of(key, temp_dir)
        self.lock_timeout = lock_timeout
        self.compress_level = compress_level
        self._sem = QtSemaphore(self.paths.sem_file, key)
        self._segment: Segment | None = None
        self._written = 0  # bytes of stream written last (the rest of the segment is zero)
        self._sequence = 0
        self._claim_token = Claim(("qt", self.paths.shm_file))
        self._mutex = threading.RLock()

    @property
    def sequence(self) -> int:
        """How many images this sender has shared (Qt's stream carries no sequence number)."""

        return self._sequence

    @property
    def sharing(self) -> bool:
        return self._segment is not None

    @property
    def stream_length(self) -> int:
        """Bytes of the last stream shared (marker + PNG)."""
        return self._written

    def share(self, image: Image.Image | Image16, source_name: str = "", *,
              tags: dict[str, Any] | None = None) -> int:
        """Publish image as `QDataStream << QImage` (marker + PNG); returns this sender's share count.

        KeyInUseError if another live program holds the Qt key, ForeignSegmentError if something
        that is not a QImage stream sits there, LockTimeoutError if Qt's lock stays busy. An Image16
        travels as its 8-bit copy; tags have no place in Qt's format and are refused.
        """
        if tags:
            raise InvalidTagsError("tags travel only in imgshare's own format, not in Qt mode")
        if isinstance(image, Image16):
            image = image.to_8bit()
        if not isinstance(image, Image.Image):
            raise ImageError("only Pillow images can be shared")
        check_image_size(image.width, image.height)
        stream, _converted = encode(image, os.path.basename(source_name), self.compress_level, self.key)
        with self._mutex:
            self._claim()
            try:
                lock = self._sem.acquire(self.lock_timeout)
            except BaseException:
                self._give_up_if_idle()
                raise
            try:
                if self._segment is None:
                    self._segment = self._take_key(len(stream))
                    self._written = 0
                elif not (len(stream) <= self._segment.size <= _SHRINK_FACTOR * len(stream)):
                    self._replace_segment(len(stream))
                self._write(stream)
            except BaseException:
                lock.release()
                self._give_up_if_idle()
                raise
            lock.release()
            self._sequence += 1
            return self._sequence

    def close(self, persist: bool = False) -> None:
        """Detach as Qt does (the last one out removes the segment and its key file) and remove the
        semaphore if we made it. persist leaves the segment and its file for one more reader: Qt's rule
        then has that reader remove it."""
        with self._mutex:
            if self._segment is not None:
                lock = self._sem.lock
                held = False
                if lock is not None:
                    try:
                        lock.acquire(self.lock_timeout)
                        held = True
                    except (LockTimeoutError, NotSharedError):
                        pass  # detaching without the lock is safe; a Qt peer keeps its own mapping
                try:
                    if not persist and segments.number_attached(self._segment) <= 1:
                        self._segment.remove()
                        remove_key_file(self.paths.shm_file)
                    self._segment.detach()
                finally:
                    self._segment = None
                    if held and lock is not None:
                        lock.release()
            self._sem.cleanup()
            self._unclaim()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> QtSender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _claim(self) -> None:
        if not self._claim_token.take():
            raise KeyInUseError(f"the Qt key {self.key!r} is already shared by this process",
                                pid=os.getpid())

    def _unclaim(self) -> None:
        self._claim_token.give_up()

    def _give_up_if_idle(self) -> None:
        """After a failed first share, leave nothing behind: not the semaphore, not the key files."""
        if self._segment is None:
            self._sem.cleanup()
            self._unclaim()

    def _take_key(self, size: int) -> Segment:
        """Create our segment (holding the lock), refusing a live or foreign one already there."""
        created_file = create_key_file(self.paths.shm_file)
        try:
            sysv = ftok(self.paths.shm_file)
            if sysv is None:
                raise NotSharedError(f"Qt's key file {self.paths.shm_file} vanished")
            existing = shmid_at(sysv)
            if existing is not None:
                self._reclaim_stale(existing)
            check_fits(size)
            try:
                return segments.create(sysv, size, self.key)
            except FileExistsError:
                raise KeyInUseError(f"the Qt key {self.key!r} was just taken by another process") from None
        except BaseException:
            if created_file:
                remove_key_file(self.paths.shm_file)
            raise

    def _reclaim_stale(self, shmid: int) -> None:
        row = shm_row(shmid) or {}
        if row.get("nattch", 0) > 0:
            raise KeyInUseError(
                f"the Qt key {self.key!r} is in use: its segment (made by pid {row.get('cpid', 0)}) "
                f"has {row['nattch']} process(es) attached", pid=row.get("cpid"))
        try:
            segment = segments.attach_id(shmid)
        except NotSharedError:
            return
        try:
            start = segment.read(0, 16)
        finally:
            segment.detach()
        if any(start):
            try:
                locate(start)
            except ForeignSegmentError:
                raise ForeignSegmentError(
                    f"the Qt key {self.key!r} holds another program's shared memory; imgshare will not "
                    "touch it, choose another key") from None
        remove_by_id(shmid)  # a dead Qt share nobody is attached to: Qt's next reader would remove it too
        # Its sender died before removing its semaphore and key file, as its cleanup would have: we
        # take that duty over, unless a live process other than us used the semaphore last.
        self._sem.adopt_if_unused(row.get("cpid", 0))

    def _replace_segment(self, size: int) -> None:
        check_fits(size)  # before giving up the current share
        old = self._segment
        assert old is not None  # only called while sharing
        old.remove()  # its key is free at once; a Qt reader attached to it keeps a complete old image
        old.detach()
        self._segment = None
        sysv = ftok(self.paths.shm_file)
        if sysv is None:  # someone deleted the key file: make it again, as Qt's create() would
            create_key_file(self.paths.shm_file)
            sysv = ftok(self.paths.shm_file)
        if sysv is None:
            raise NotSharedError(f"Qt's key file {self.paths.shm_file} keeps vanishing")
        try:
            self._segment = segments.create(sysv, size, self.key)
        except BaseException:
            remove_key_file(self.paths.shm_file)  # the old share is gone: leave no orphan key file
            raise
        self._written = 0

    def _write(self, stream: bytes) -> None:
        segment = self._segment
        assert segment is not None  # share() made or kept one
        segment.write(stream, 0)
        if self._written > len(stream):  # clear the old stream's tail
            segment.write(bytes(self._written - len(stream)), len(stream))
        self._written = len(stream)


class QtReceiver:
    """Reads what a Qt program shares: `image, info = QtReceiver("169254").receive()`."""

    kind = ChannelKind.QT

    def __init__(self, key: str, *, temp_dir: str | None = None):
        validate_key(key)
        self.key = key
        self.paths = QtKey.find(key, temp_dir)  # the key's own files, or those a listing's name points to

    def receive(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0, verify: bool | None = None,
                borrow: bool = False) -> Received:
        """The current image and its info. timeout bounds the wait for Qt's lock (LockTimeoutError);
        wait is how long to wait for an image to appear (NotSharedError after it).

        verify: a Qt stream has no checksum of imgshare's; its PNG is checked while it decodes (every
        chunk's CRC, zlib's Adler-32), and that cannot be skipped, so verify=False checks all the same.
        borrow=True is refused (ValueError): the image is decoded from the stream, always a copy.
        """
        if borrow:
            raise ValueError("Qt mode cannot lend the shared memory (borrow=True): its image is decoded "
                             "from a PNG stream, so it is always a copy; call receive() without borrow")

        def attempt() -> Received:
            data, sysv, row = self._read_stream(timeout)
            image, encoding = decode(data)
            return self._received(image, encoding, data, sysv, row)
        return when_shared(wait, attempt)

    def info(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0) -> QtShareInfo:
        """The share's info; the image file is opened to learn size and mode, its pixels not decoded.
        Unlike receive(), it never removes a share it detaches from last (inspection, like listing)."""
        def attempt() -> QtShareInfo:
            data, sysv, row = self._read_stream(timeout, inspect_only=True)
            image, encoding = peek(data)
            info = self._received(image, encoding, data, sysv, row).info
            assert isinstance(info, QtShareInfo)
            return info
        return when_shared(wait, attempt)

    def close(self) -> None:
        """Nothing to release: every receive attaches, copies and detaches, as Qt's demo does."""

    def __enter__(self) -> QtReceiver:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------
    def _received(self, image: Image.Image | None, encoding: str, data: bytes, sysv: int,
                  row: dict[str, int]) -> Received:
        if image is None:
            raise NotSharedError(f"the Qt share under key {self.key!r} holds a null image")
        info = build_info(self.key, sysv, image, encoding, source_name_of(image), data, row,
                          self.paths.shm_file)
        return Received(image, info)

    def _read_stream(self, timeout: float, inspect_only: bool = False) -> tuple[bytes, int, dict[str, int]]:
        """Qt's attach + lock + copy + unlock + detach; returns (stream, System V key, /proc row)."""
        sysv = ftok(self.paths.shm_file)
        if sysv is None or shmid_at(sysv) is None:
            raise NotSharedError(f"nothing is shared under the Qt key {self.key!r}")
        sem = QtSemaphore(self.paths.sem_file, self.key)
        try:
            lock = sem.acquire(timeout)  # Qt's attach() opens it in Open mode: made if missing
            try:
                return self._copy_and_detach(sysv, inspect_only)
            finally:
                lock.release()
        finally:
            sem.cleanup()

    def _copy_and_detach(self, sysv: int, inspect_only: bool) -> tuple[bytes, int, dict[str, int]]:
        segment = segments.open_at(sysv, self.key, read_only=True)
        try:
            data = segment.read(0, segment.size)
            row = dict(shm_row(segment.id) or {"shmid": segment.id, "size": segment.size, "nattch": 1})
            row["nattch"] = max(0, row.get("nattch", 1) - 1)  # others attached, as a listing sees it
            if not inspect_only and segments.number_attached(segment) <= 1 and _is_qt_stream(data):
                # We detach last: Qt's detach() removes the segment and its file. (Qt would remove
                # anything; imgshare never removes a segment it cannot tell is a Qt share.)
                segment.remove()
                remove_key_file(self.paths.shm_file)
        finally:
            segment.detach()
        return data, sysv, row


def _is_qt_stream(data: bytes) -> bool:
    try:
        locate(data)
    except ForeignSegmentError:
        return False
    return True
