"""Checksums as docs/protocol.md §8.7 defines them, computed over exactly the bytes handed over: the
rows without padding, hashed a cache-sized chunk at a time right after they were copied."""

from __future__ import annotations

from typing import Any, Protocol

import xxhash

HASH_CHUNK = 1 << 18  # bytes copied and hashed at a time, while still in cache


class ChecksumMismatch(Exception):
    """The bytes handed over differ from the checksum the sender wrote (the roles report it)."""


class Hasher(Protocol):
    """What a streaming checksum offers (xxhash.xxh3_64)."""

    def update(self, data: Any) -> None: ...

    def intdigest(self) -> int: ...


def new_hasher() -> Hasher:
    return xxhash.xxh3_64()


def hash_in_chunks(data: memoryview, hasher: Hasher) -> None:
    """Feed data to hasher a cache-sized chunk at a time."""
    for start in range(0, len(data), HASH_CHUNK):
        hasher.update(data[start:start + HASH_CHUNK])


def hash_rows(payload: memoryview, stride: int, row_bytes: int, height: int, hasher: Hasher) -> None:
    """Feed the rows of a payload, without their padding, to hasher."""
    if stride == row_bytes:
        hash_in_chunks(payload[:stride * height], hasher)
        return
    for row in range(height):
        hasher.update(payload[row * stride:row * stride + row_bytes])


def copy_rows(payload: memoryview, stride: int, row_bytes: int, height: int, dest: memoryview,
              hasher: Hasher | None) -> None:
    """Copy a payload's rows without padding into dest (row_bytes × height bytes), hashing each chunk
    of dest right after writing it: the bytes checked are the bytes handed over."""
    if stride == row_bytes:
        total = row_bytes * height
        if hasher is None:
            dest[:total] = payload[:total]  # one memcpy: glibc streams a large one past the cache
            return
        for start in range(0, total, HASH_CHUNK):
            end = min(total, start + HASH_CHUNK)
            dest[start:end] = payload[start:end]
            hasher.update(dest[start:end])
        return
    rows_a_chunk = max(1, HASH_CHUNK // max(1, row_bytes))
    for top in range(0, height, rows_a_chunk):
        bottom = min(height, top + rows_a_chunk)
        for row in range(top, bottom):
            dest[row * row_bytes:(row + 1) * row_bytes] = payload[row * stride:row * stride + row_bytes]
        if hasher is not None:
            hasher.update(dest[top * row_bytes:bottom * row_bytes])
