"""Lossless compression of a frame's payload for links slower than the frames: zstd at level 1.

Measured on 1920x1080 RGB (bench/bridge.py prints it again): zstd level 1 compresses at about
1.2 GB/s (noisy camera-like pixels) to 4 GB/s (flat screen-like ones) on one core, as fast as lz4,
and its entropy stage gives far better ratios on images (screen-like: 7600x against lz4's 250x), so
it is the one offered.
"""

from __future__ import annotations

from typing import Any

from .wire import WireError

NONE = "none"
ZSTD = "zstd"
NAMES = (NONE, ZSTD)
_LEVEL = 1


class Compressor:
    """Compresses payloads with one reusable context (one per thread)."""

    def __init__(self, name: str):
        if name not in NAMES:
            raise ValueError(f"unknown compression {name!r}")
        self.name = name
        self._zstd: Any = None
        if name == ZSTD:
            import zstandard
            self._zstd = zstandard.ZstdCompressor(level=_LEVEL, write_content_size=True)

    def compress(self, data: Any) -> Any:
        return data if self._zstd is None else self._zstd.compress(data)


class Decompressor:
    """Undoes any compression a server may use, refusing anything that does not give `length` bytes."""

    def __init__(self) -> None:
        self._zstd: Any = None

    def decompress(self, data: Any, name: str, length: int) -> Any:
        if name == NONE:
            if len(data) != length:
                raise WireError(f"a frame of {len(data)} bytes for an image of {length}")
            return data
        if name != ZSTD:
            raise WireError(f"a frame compressed with {name!r}, which this imgshare does not know")
        if self._zstd is None:
            import zstandard
            self._zstd = zstandard.ZstdDecompressor()
        try:
            import zstandard
            if zstandard.frame_content_size(data) != length:
                raise WireError("a compressed frame whose size does not match its image")
            out = self._zstd.decompress(data, max_output_size=length)
        except zstandard.ZstdError:
            raise WireError("a compressed frame that does not decompress") from None
        if len(out) != length:
            raise WireError("a compressed frame whose size does not match its image")
        return out
