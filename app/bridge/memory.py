"""Large buffers reused instead of mapped afresh for each image, in a bridge process.

glibc serves allocations above 128 KiB (its mmap threshold, which it raises only as far as 32 MiB)
with fresh mappings and unmaps them on free, so each image's buffers (the rows read out of shared
memory, the message ZeroMQ receives) would cost a page fault per 4 KiB on first touch: measured here,
a 1920x1080 RGB read took 42 ms that way and 8 ms with the heap kept. Memory stays bounded: the bridge
holds a fixed number of images at a time, and the heap reuses what they free.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP = 1 << 30  # bytes: no image buffer is mapped on its own or given back between images


def keep_large_blocks() -> bool:
    """Ask glibc to serve large blocks from the heap and keep freed ones; False where that is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP))
