"""Key strings and the System V key integer they map to (the recipe is in docs/protocol.md)."""

from __future__ import annotations

import hashlib

from .errors import InvalidKeyError

MAX_KEY_BYTES = 255
DEFAULT_KEY = "169254"  # the key of Qt's shared-memory demo


def validate_key(key: str) -> bytes:
    """Return the key's UTF-8 bytes, or raise InvalidKeyError if it is not a usable key."""
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
    return encoded


def sysv_key(key: str) -> int:
    """The System V IPC key shared by a key's segment and its lock semaphore.

    The first four bytes of the SHA-1 of the UTF-8 key, big-endian, with the sign bit cleared so the
    value is a positive key_t everywhere; 0 is IPC_PRIVATE, so it becomes 1.
    """
    digest = hashlib.sha1(validate_key(key)).digest()
    value = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return value or 1


def borrow_sysv_key(key: str) -> int:
    """The System V key of a key's borrow-count semaphore.

    The same recipe over 0xFF followed by the key's UTF-8 bytes: 0xFF never occurs in UTF-8, so no key
    string's own System V key is derived from the same bytes.
    """
    digest = hashlib.sha1(b"\xff" + validate_key(key)).digest()
    value = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return value or 1


def wake_sysv_key(key: str) -> int:
    """The System V key of a key's new-image semaphore: the recipe over 0xFE and the key's UTF-8 bytes."""
    digest = hashlib.sha1(b"\xfe" + validate_key(key)).digest()
    value = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
    return value or 1
