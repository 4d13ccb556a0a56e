"""Key strings and the one System V key each maps to (docs/protocol.md §3)."""

from __future__ import annotations

import hashlib

from ..errors import InvalidKeyError
from .text import refused_character

MAX_KEY_BYTES = 255
DEFAULT_KEY = "169254"  # the key of Qt's shared-memory demo


def validate_key(key: str) -> bytes:
    """The key's UTF-8 bytes, or InvalidKeyError if it is not a usable key (§3.1)."""
    if not isinstance(key, str):
        raise InvalidKeyError(f"the key must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidKeyError("the key must not be empty")
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidKeyError("the key is not valid Unicode text") from None
    if len(encoded) > MAX_KEY_BYTES:
        raise InvalidKeyError(
            f"the key is {len(encoded)} bytes long in UTF-8; at most {MAX_KEY_BYTES} are allowed"
        )
    refused = refused_character(key)
    if refused is not None:
        position, char = refused
        raise InvalidKeyError(
            f"the key must not contain control or invisible characters (U+{ord(char):04X} at position "
            f"{position + 1})"
        )
    return encoded


def recipe(data: bytes) -> int:
    """The first four bytes of SHA-1(data), big-endian, sign bit cleared; 0 (IPC_PRIVATE) becomes 1."""
    value = int.from_bytes(hashlib.sha1(data).digest()[:4], "big") & 0x7FFFFFFF
    return value or 1


def sysv_key(key: str) -> int:
    """The System V key of a key's control segment and semaphore set."""
    return recipe(validate_key(key))
