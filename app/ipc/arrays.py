"""numpy arrays in and out of slots: which dtype and shape travel as which mode, and copies that hash each
cache-sized band right after copying it (a separate pass over memory no longer in cache costs about
half a copy more).

numpy is optional (`pip install 'imgshare[numpy]'`); it is imported only when an array is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ImageError, ImgShareError
from .header import BGR_MODES, MAX_DIMENSION
from .modes import row_bytes
from .pixels import HASH_CHUNK, Hasher

# (dtype name, channels or 0 for a 2-D array) -> mode; and each mode's little-endian dtype.
_MODE_OF = {("bool", 0): "1", ("uint8", 0): "L", ("uint16", 0): "I;16", ("int32", 0): "I",
            ("float32", 0): "F", ("uint8", 2): "LA", ("uint8", 3): "RGB", ("uint8", 4): "RGBA"}
_DTYPE_OF = {"L": "u1", "P": "u1", "LA": "u1", "RGB": "u1", "RGBA": "u1", "I;16": "<u2", "I": "<i4",
             "F": "<f4"}
_CHANNELS_OF = {"LA": 2, "RGB": 3, "RGBA": 4}
FRAME_MODES = ("L", "LA", "RGB", "RGBA", "I;16", "I", "F")
ACCEPTED = ("(H, W) bool, uint8, uint16, int32 or float32; (H, W, 2), (H, W, 3) or (H, W, 4) uint8")
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
    import sys
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
    """How an array's pixels go into a slot."""

    mode: str
    width: int
    height: int
    bgr: bool

    @property
    def stride(self) -> int:
        return row_bytes(self.mode, self.width)

    @property
    def length(self) -> int:
        return self.stride * self.height


def plan_for(array: Any, channels: str | None) -> ArrayPlan:
    """The mode an array travels in (ImageError naming what is accepted if none)."""
    np = numpy()
    channel_count = array.shape[2] if array.ndim == 3 else 0
    mode = _MODE_OF.get((np.dtype(array.dtype).name, channel_count)) if array.ndim in (2, 3) else None
    if mode is None:
        raise ImageError(f"an array of shape {array.shape} and dtype {array.dtype} cannot be shared; "
                         f"imgshare takes {ACCEPTED}")
    height, width = array.shape[:2]
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise ImageError(f"the array is {width}x{height}; imgshare carries 1 to {MAX_DIMENSION} pixels a side")
    bgr = wants_bgr(channels)
    if bgr and mode not in BGR_MODES:
        raise ImageError(f"channels={channels!r} goes with (H, W, 3) and (H, W, 4) arrays, not {array.shape}")
    return ArrayPlan(mode, width, height, bgr)


def frame_plan(width: int, height: int, mode: str, channels: str | None) -> ArrayPlan:
    if mode not in FRAME_MODES:
        raise ImageError(f"frame() writes modes {', '.join(FRAME_MODES)}; share a Pillow image for mode {mode}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise ImageError(f"a frame of {width}x{height}; imgshare carries 1 to {MAX_DIMENSION} pixels a side")
    bgr = wants_bgr(channels)
    if bgr and mode not in BGR_MODES:
        raise ImageError(f"channels={channels!r} goes with modes RGB and RGBA, not {mode}")
    return ArrayPlan(mode, width, height, bgr)


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


def copy_rows(target: Any, source: Any, stride: int, hashed: memoryview | None, hasher: Hasher | None,
              convert: Callable[[Any, Any], None] | None = None) -> None:
    """Copy source into target a band of rows at a time; after each band, hash the band's stride-wide
    bytes of hashed (the slot) while they are in cache."""
    np = numpy()
    if (convert is None and target.flags.c_contiguous and source.flags.c_contiguous
            and target.dtype == source.dtype and target.shape == source.shape):
        copy_bytes(memoryview(target).cast("B"), memoryview(source).cast("B"), hasher)
        return
    height = target.shape[0]
    step = max(1, HASH_CHUNK // max(1, stride)) if hasher is not None else height
    for top in range(0, height, step):
        bottom = min(height, top + step)
        if convert is None:
            np.copyto(target[top:bottom], source[top:bottom], casting="equiv")
        else:
            convert(target[top:bottom], source[top:bottom])
        if hasher is not None and hashed is not None:
            hasher.update(hashed[top * stride:bottom * stride])


def copy_bytes(target: memoryview, source: memoryview, hasher: Hasher | None) -> None:
    """Copy between two unpadded buffers of the same layout a chunk at a time (memcpy), hashing each
    chunk of the target right after copying it: the same bytes as the slot's, and the copy just wrote
    them into the cache (the source's lines may have been read past it)."""
    if hasher is None:
        # One copy: glibc's memcpy streams a large one past the cache (non-temporal stores, no
        # read-for-ownership of the target), which small chunks would forgo for nothing.
        target[:] = source
        return
    for start in range(0, len(target), HASH_CHUNK):
        end = start + HASH_CHUNK
        target[start:end] = source[start:end]
        hasher.update(target[start:end])


def swap_channels(target: Any, source: Any) -> None:
    """Copy source into target with colour channels 0 and 2 exchanged (RGB <-> BGR), alpha as is."""
    np = numpy()
    np.copyto(target[..., 0], source[..., 2])
    np.copyto(target[..., 1], source[..., 1])
    np.copyto(target[..., 2], source[..., 0])
    if target.shape[-1] == 4:
        np.copyto(target[..., 3], source[..., 3])


def fill_slot(array: Any, plan: ArrayPlan, dest: memoryview, hasher: Hasher | None) -> None:
    """Write an array's pixels into a slot's payload (dest), as plan says."""
    np = numpy()
    target = slot_array(dest, plan.mode, plan.width, plan.height, plan.stride)
    source = np.packbits(array, axis=1) if plan.mode == "1" else array
    copy_rows(target, source, plan.stride, dest, hasher)


def unpack_bits(packed: Any, width: int) -> Any:
    """Mode 1's packed rows as an (H, W) bool array."""
    np = numpy()
    return np.unpackbits(packed, axis=1, count=width).astype(bool)


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
