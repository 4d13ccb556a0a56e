"""The sender: owns a key for its life, publishes images under it, and removes them when it stops.

Pixels go into a slot no reader can pin (its gate is closed and its pin count 0), **without any lock**;
publishing is one semop that opens that slot's gate and closes the old one. A sender killed at any
instant therefore leaves the last published image complete and published; an image that does not fit
a slot gets a new data segment while the published one stays (docs/protocol.md §12).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from PIL import Image

from ..image16 import Image16
from . import arrays
from .claim import claim
from .claims import Claim
from .defaults import DEFAULT_LOCK_TIMEOUT
from .errors import ImageError, ImgShareError, InvalidTagsError, NotSharedError, in_use
from .hashing import new_hasher
from .kinds import ChannelKind
from .layout import descriptor as dsc
from .layout.descriptor import MAX_SOURCE_BYTES, truncate_utf8
from .layout.keys import sysv_key, validate_key
from .layout.tags import TagsProblem, encode_tags
from .layout.text import clean_source_name
from .payload import Payload
from .pixels import image_payload
from .served import Lost, Served, SlotWrite, now_ns


class Sender:
    """Publishes images under a key: `with Sender("169254") as s: s.share(image)`.

    share() takes Pillow images, imgshare.Image16 and numpy arrays; frame() lends a writable array over
    a free slot. checksum=False publishes without a payload checksum (receivers then skip verification).
    """

    kind = ChannelKind.IMGSHARE

    def __init__(self, key: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, checksum: bool = True):
        validate_key(key)
        self.key = key
        self.sysv_key = sysv_key(key)
        self.lock_timeout = lock_timeout
        self.checksum = checksum
        self._served: Served | None = None
        self._claim = Claim(self.sysv_key)
        self._in_frame = False
        self._next_sequence = 0  # number_next(): the least sequence the next share takes
        self._mutex = threading.RLock()  # a GUI may share from a worker and close from the Tk thread

    # -- public API --------------------------------------------------------------------------------
    @property
    def sequence(self) -> int:
        """The sequence number of the last share (0 before the first)."""
        return self._served.sequence if self._served is not None else 0

    @property
    def epoch(self) -> int:
        """The epoch of the key this sender serves (0 before the first share): with the sequence, it
        names each image (ShareInfo.identity)."""
        return self._served.epoch if self._served is not None else 0

    def number_next(self, sequence: int) -> None:
        """Give the next share the number `sequence` rather than the last one + 1, when that is larger
        (never smaller: sequences only rise within an epoch). For a relay such as `imgshare bridge
        pull`, which keeps its source's numbering so that followers count what it skipped as missed.
        The share's return value says the number it got."""
        self._next_sequence = sequence

    @property
    def sharing(self) -> bool:
        return self._served is not None

    def share(self, image: Image.Image | Image16 | Any, source_name: str = "", *, channels: str | None = None,
              tags: dict[str, Any] | None = None, source_mode: str = "") -> int:
        """Publish a Pillow image, an Image16 or a numpy array under the key; returns its sequence number.

        Arrays: (H, W) bool -> 1, uint8 -> L, uint16 -> I;16, int32 -> I, float32 -> F; (H, W, 2)
        uint8 -> LA, (H, W, 3) -> RGB, (H, W, 4) -> RGBA; (H, W, 3|4) uint16 -> RGB;16, RGBA;16;
        channels="BGR" (or "BGRA") carries OpenCV's order as it is. tags: a dict of JSON values (at most
        4 KiB as JSON) that travels with this image (ShareInfo.tags). source_mode: the mode the image
        had before it was decoded with less (the share then says converted). Raises KeyInUseError if
        another live sender serves the key, ForeignSegmentError if another program's objects sit there,
        AccessDeniedError if another user's, TooLargeError if the image does not fit the machine's
        limits. On any error, what was shared before stays shared.
        """
        payload = self._payload(image, channels, source_mode)
        tags_json = self._tags(tags)
        with self._mutex:
            self._refuse_during_frame()
            for _ in range(3):
                served = self._serve()
                chosen = served.choose(payload.length)
                try:
                    descriptor = self._write(served, chosen, payload, source_name, tags_json)
                    return self._publish(served, chosen, descriptor)
                except Lost as lost:
                    served.discard(chosen)
                    self._lose(lost)
            raise NotSharedError(f"the share of key {self.key!r} keeps being removed by another program")

    @contextmanager
    def frame(self, width: int, height: int, mode: str = "RGB", *, channels: str | None = None,
              source_name: str = "", tags: dict[str, Any] | None = None) -> Iterator[Any]:
        """`with sender.frame(w, h, "RGBA") as pixels:` — a writable numpy array over a free slot.

        Leaving the block normally publishes what was written; leaving it by an exception publishes
        nothing. The array must not be used after the block. One frame() at a time per sender.
        """
        plan = arrays.frame_plan(width, height, mode, channels)
        payload = Payload(mode, width, height, None, dsc.FLAG_BGR if plan.bgr else 0)
        tags_json = self._tags(tags)
        with self._mutex:
            self._refuse_during_frame()
            served = self._serve()
            chosen = served.choose(payload.length)
            count = served.begin_write(chosen)
            self._in_frame = True
        segment = chosen.data.segment
        published = False
        try:
            view = segment.view(dsc.DESCRIPTOR_SIZE, payload.length)
            pixels = arrays.slot_array(view, mode, width, height, payload.stride)
            segment.hold(arrays.memory_owner(pixels))  # mapped while any view of pixels lives
            yield pixels
            pixels.flags.writeable = False
            with self._mutex:
                if self._served is not served:
                    raise ImgShareError("the sender was closed during the frame() block; nothing was published")
                try:
                    descriptor = self._describe(served, chosen, payload, source_name, tags_json, count, view)
                    self._publish(served, chosen, descriptor)
                    published = True
                except Lost as lost:
                    served.discard(chosen)
                    self._lose(lost)
                    raise NotSharedError(f"the share of key {self.key!r} was removed during the frame() block") \
                        from None
        finally:
            self._in_frame = False
            segment.release_views()
            if not published and self._served is served:
                served.discard(chosen)

    def close(self, persist: bool = False) -> None:
        """Stop sharing. Normally removes the key's objects; with persist, leaves them, marked persisted,
        so the image stays readable and a later sender may take the key over."""
        with self._mutex:
            served, self._served = self._served, None
            try:
                if served is not None:
                    try:
                        served.check_ownership()
                    except Lost as lost:
                        served.abandon(lost)
                    else:
                        if persist and served.published is not None:
                            served.persist()
                        else:
                            served.remove_everything()
            finally:
                self._claim.give_up()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- the steps -------------------------------------------------------------------------------------
    def _payload(self, image: Any, channels: str | None, source_mode: str) -> Payload:
        if arrays.is_array(image):
            return arrays.array_payload(image, channels)
        if isinstance(image, (Image.Image, Image16)):
            if channels is not None:
                raise ImageError("channels= goes with numpy arrays; an image names its own mode")
            return image_payload(image, source_mode)
        raise ImageError(f"only Pillow images, Image16 and numpy arrays can be shared, not {type(image).__name__}")

    @staticmethod
    def _tags(tags: dict[str, Any] | None) -> bytes:
        try:
            return encode_tags(tags)
        except TagsProblem as exc:
            raise InvalidTagsError(f"the tags cannot be shared: {exc}") from None

    def _refuse_during_frame(self) -> None:
        if self._in_frame:
            raise ImgShareError("a frame() block of this sender is open; leave it before sharing again")

    def _serve(self) -> Served:
        """The key, claimed on first use (and again after it was removed under us)."""
        if self._served is None:
            if not self._claim.take():
                raise in_use(self.key, os.getpid())
            try:
                self._served = claim(self.key, self.sysv_key, self.lock_timeout)
            except BaseException:
                self._claim.give_up()
                raise
        return self._served

    def _write(self, served: Served, chosen: SlotWrite, payload: Payload, source_name: str,
               tags_json: bytes) -> dsc.Descriptor:
        """Pixels and descriptor into the chosen slot, which no reader can pin (§12.3 steps 1 to 3)."""
        count = served.begin_write(chosen)
        segment = chosen.data.segment
        try:
            view = segment.view(dsc.DESCRIPTOR_SIZE, payload.length)
            return self._describe(served, chosen, payload, source_name, tags_json, count, view, fill=True)
        except BaseException:
            served.discard(chosen)
            raise
        finally:
            segment.release_views()

    def _describe(self, served: Served, chosen: SlotWrite, payload: Payload, source_name: str, tags_json: bytes,
                  count: int, view: memoryview, fill: bool = False) -> dsc.Descriptor:
        hasher = new_hasher() if self.checksum else None
        if fill and payload.fill is not None:
            payload.fill(view, hasher)
        elif hasher is not None:
            from .hashing import hash_in_chunks
            hash_in_chunks(view, hasher)
        name = truncate_utf8(clean_source_name(os.path.basename(source_name)), MAX_SOURCE_BYTES).decode("utf-8")
        descriptor = dsc.Descriptor(
            epoch=served.epoch, generation=chosen.data.entry.generation,
            sequence=max(served.sequence + 1, self._next_sequence),
            width=payload.width, height=payload.height, mode=payload.mode, stride=payload.stride,
            payload_length=payload.length, checksum=hasher.intdigest() if hasher else 0,
            sender_pid=os.getpid(), timestamp_ns=now_ns(),
            checksum_kind=dsc.ChecksumKind.XXH3_64 if hasher else dsc.ChecksumKind.NONE, flags=payload.flags,
            source_name=name, source_mode=payload.source_mode, tags_json=tags_json, write_count=count,
            **payload.extra,
        )
        served.end_write(chosen, dsc.pack_descriptor(descriptor), count)
        return descriptor

    def _publish(self, served: Served, chosen: SlotWrite, descriptor: dsc.Descriptor) -> int:
        """§12.3 steps 4 to 6 (and §12.4's table update for a new data segment)."""
        served.check_ownership()
        served.commit(chosen)
        served.publish(chosen.slot, descriptor.sequence)
        return descriptor.sequence

    def _lose(self, lost: Lost) -> None:
        served, self._served = self._served, None
        if served is not None:
            served.abandon(lost)
        if not lost.removed:
            self._claim.give_up()
            raise in_use(self.key, 0)
