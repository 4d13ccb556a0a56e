"""numpy arrays in and out of slots: which dtype and shape travel as which mode, and copies that hash
each cache-sized band of what they hand over right after writing it (docs/protocol.md §10.3).

numpy is optional (`pip install 'imgshare[numpy]'`); it is imported only when an array is used.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from .errors import ImageError, ImgShareError
from .hashing import HASH_CHUNK, ChecksumMismatch, Hasher, copy_rows, hash_rows, new_hasher
from .layout import descriptor as dsc
from .layout.modes import BGR_MODES, row_bytes
from .layout.size import check_image_size
from .payload import Payload

# (dtype name, channels or 0 for a 2-D array) -> mode; and each mode's little-endian dtype and channels.
_MODE_OF = {("bool", 0): "1", ("uint8", 0): "L", ("uint16", 0): "I;16", ("int32", 0): "I",
            ("float32", 0): "F", ("uint8", 2): "LA", ("uint8", 3): "RGB", ("uint8", 4): "RGBA",
            ("uint16", 3): "RGB;16", ("uint16", 4): "RGBA;16"}
_DTYPE_OF = {"L": "u1", "P": "u1", "LA": "u1", "RGB": "u1", "RGBA": "u1", "I;16": "<u2", "I": "<i4",
             "F": "<f4", "RGB;16": "<u2", "RGBA;16": "<u2"}
_CHANNELS_OF = {"LA": 2, "RGB": 3, "RGBA": 4, "RGB;16": 3, "RGBA;16": 4}
FRAME_MODES = ("L", "LA", "RGB", "RGBA", "I;16", "I", "F", "RGB;16", "RGBA;16")
ACCEPTED = ("(H, W) bool, uint8, uint16, int32 or float32; (H, W, 2), (H, W, 3) or (H, W, 4) uint8; "
            "(H, W, 3) or (H, W, 4) uint16")
_ORDERS = {"RGB": False, "RGBA": False, "BGR": True, "BGRA": True}


def numpy() -> Any:
    """The numpy module, or ImageError saying how to install it."""
    try:
        import numpy as np
    except ImportError:
        raise ImageError("sharing numpy arrays needs numpy: pip install 'imgshare[numpy]'") from None
    return np


def is_array(value: object) -> bool:
    """Whether value is a numpy array (without importing numpy when it is not loaded)."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def wants_bgr(channels: str | None) -> bool:
    """Whether a channels argument asks for OpenCV's order; ImgShareError for an unknown one."""
    if channels is None:
        return False
    if channels not in _ORDERS:
        raise ImgShareError(f"channels must be one of RGB, RGBA, BGR or BGRA, not {channels!r}")
    return _ORDERS[channels]


@dataclass(frozen=True)
class ArrayPlan:
    mode: str
    width: int
    height: int
    bgr: bool

    @property
    def stride(self) -> int:
        return row_bytes(self.mode, self.width)


def plan_for(array: Any, channels: str | None) -> ArrayPlan:
    """The mode an array travels in (ImageError naming what is accepted if none)."""
    np = numpy()
    channel_count = array.shape[2] if array.ndim == 3 else 0
    mode = _MODE_OF.get((np.dtype(array.dtype).name, channel_count)) if array.ndim in (2, 3) else None
    if mode is None:
        raise ImageError(f"an array of shape {array.shape} and dtype {array.dtype} cannot be shared; "
                         f"imgshare takes {ACCEPTED}")
    height, width = array.shape[:2]
    check_image_size(width, height, "the array")
    bgr = wants_bgr(channels)
    if bgr and mode not in BGR_MODES:
        raise ImageError(f"channels={channels!r} goes with (H, W, 3) and (H, W, 4) arrays, not {array.shape}")
    return ArrayPlan(mode, width, height, bgr)


def frame_plan(width: int, height: int, mode: str, channels: str | None) -> ArrayPlan:
    if mode not in FRAME_MODES:
        raise ImageError(f"frame() writes modes {', '.join(FRAME_MODES)}; share a Pillow image for mode {mode}")
    check_image_size(width, height, "a frame")
    bgr = wants_bgr(channels)
    if bgr and mode not in BGR_MODES:
        raise ImageError(f"channels={channels!r} goes with modes {', '.join(sorted(BGR_MODES))}, not {mode}")
    return ArrayPlan(mode, width, height, bgr)


def array_payload(array: Any, channels: str | None) -> Payload:
    plan = plan_for(array, channels)

    def fill(dest: memoryview, hasher: Hasher | None) -> None:
        np = numpy()
        target = slot_array(dest, plan.mode, plan.width, plan.height, plan.stride)
        source = np.packbits(array, axis=1) if plan.mode == "1" else array
        _copy_bands(target, source, hasher)
    return Payload(plan.mode, plan.width, plan.height, fill, dsc.FLAG_BGR if plan.bgr else 0)


def slot_array(buffer: memoryview, mode: str, width: int, height: int, stride: int) -> Any:
    """An array over a slot's payload (read-only if buffer is): (H, W) or (H, W, C) of the mode's dtype,
    or for mode 1 the packed rows (H, row_bytes) of uint8."""
    np = numpy()
    rows = np.frombuffer(buffer, dtype=np.uint8, count=stride * height).reshape(height, stride)
    rows = rows[:, :row_bytes(mode, width)]
    if mode == "1":
        return rows
    pixels = rows.view(np.dtype(_DTYPE_OF[mode]))
    channels = _CHANNELS_OF.get(mode)
    return pixels.reshape(height, width, channels) if channels else pixels.reshape(height, width)


def memory_owner(array: Any) -> object:
    """The object every view of array refers to (numpy collapses bases onto it): while it lives, some
    array may still read or write the memory, so the segment must stay mapped (Segment.hold)."""
    owner = array
    while getattr(owner, "base", None) is not None:
        owner = owner.base
    return owner


def _copy_bands(target: Any, source: Any, hasher: Hasher | None) -> None:
    """Copy source into a C-contiguous target a band of rows at a time, hashing each band of target
    right after writing it."""
    np = numpy()
    height = target.shape[0]
    row = target[0].nbytes if height else 0
    step = max(1, HASH_CHUNK // max(1, row)) if hasher is not None else height
    flat = memoryview(target.reshape(-1).view(np.uint8)) if hasher is not None else None
    for top in range(0, height, step):
        bottom = min(height, top + step)
        np.copyto(target[top:bottom], source[top:bottom], casting="equiv")
        if hasher is not None and flat is not None:
            hasher.update(flat[top * row:bottom * row])


def read_array(d: dsc.Descriptor, payload: memoryview, *, borrow: bool, out: Any, want_bgr: bool,
               verify: bool) -> tuple[Any, bool]:
    """(array, whether it maps the payload) for a pinned slot. A copy is made into private memory
    (out, or a new array) and verified there: the pixels returned are the pixels checked; a colour swap
    or unpacking of bits is then done on that private copy."""
    np = numpy()
    swap = d.mode in BGR_MODES and d.bgr != want_bgr
    hasher = new_hasher() if verify else None
    if borrow and out is None and not swap and d.mode != "1":
        if hasher is not None:
            hash_rows(payload, d.stride, d.row_bytes, d.height, hasher)
            if hasher.intdigest() != d.checksum:
                raise ChecksumMismatch()
        return slot_array(payload, d.mode, d.width, d.height, d.stride), True
    if out is not None:
        check_out(out, d.mode, d.width, d.height)
    direct = out is not None and out.flags.c_contiguous and d.mode != "1"
    flat = out.reshape(-1).view(np.uint8) if direct else np.empty(d.row_bytes * d.height, dtype=np.uint8)
    copy_rows(payload, d.stride, d.row_bytes, d.height, memoryview(flat), hasher)
    if hasher is not None and hasher.intdigest() != d.checksum:
        raise ChecksumMismatch()
    if direct:
        result = out
    elif d.mode == "1":
        result = np.unpackbits(flat.reshape(d.height, d.row_bytes), axis=1, count=d.width).astype(bool)
    else:
        result = _native(slot_array(memoryview(flat), d.mode, d.width, d.height, d.row_bytes))
    if swap:
        result[..., [0, 2]] = result[..., [2, 0]]
    if out is not None and result is not out:
        out[...] = result
        result = out
    return result, False


def _native(array: Any) -> Any:
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def new_array(mode: str, width: int, height: int) -> Any:
    np = numpy()
    if mode == "1":
        return np.empty((height, width), dtype=bool)
    channels = _CHANNELS_OF.get(mode)
    shape = (height, width, channels) if channels else (height, width)
    return np.empty(shape, dtype=np.dtype(_DTYPE_OF[mode]).newbyteorder("="))


def check_out(out: Any, mode: str, width: int, height: int) -> None:
    """ImgShareError unless out can take the image as it is (shape, dtype, writable)."""
    expected = new_array(mode, 1, 1)
    shape = (height, width) + tuple(expected.shape[2:])
    if out.shape != shape or out.dtype != expected.dtype or not out.flags.writeable:
        raise ImgShareError(
            f"out= must be a writable array of shape {shape} and dtype {expected.dtype} for this image "
            f"(got shape {out.shape}, dtype {out.dtype})"
        )
