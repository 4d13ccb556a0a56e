"""Key strings and the System V key integers they map to (rules and recipe in docs/protocol.md, §1)."""

from __future__ import annotations

import hashlib

from .errors import InvalidKeyError

MAX_KEY_BYTES = 255
DEFAULT_KEY = "169254"  # the key of Qt's shared-memory demo

# Code points a key may not hold: controls, and characters that are invisible or change how the text
# around them is shown, so two keys could look alike or a listing could be garbled (protocol.md §1.1).
REFUSED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x061C, 0x061C), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0xE0000, 0xE007F),
)
_PINS_PREFIX = b"\xff"  # never occurs in UTF-8, so no key string hashes the same bytes
_WAKE_PREFIX = b"\xfe"


def refused_character(key: str) -> tuple[int, str] | None:
    """(position, character) of the first character a key may not hold, or None."""
    for position, char in enumerate(key):
        point = ord(char)
        if any(low <= point <= high for low, high in REFUSED_RANGES):
            return position, char
    return None


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
    refused = refused_character(key)
    if refused is not None:
        position, char = refused
        raise InvalidKeyError(
            f"the key must not contain control or invisible characters (U+{ord(char):04X} at position "
            f"{position + 1})"
        )
    return encoded


def _recipe(data: bytes) -> int:
    """The first four bytes of SHA-1(data), big-endian, sign bit cleared; 0 (IPC_PRIVATE) becomes 1."""
    value = int.from_bytes(hashlib.sha1(data).digest()[:4], "big") & 0x7FFFFFFF
    return value or 1


def sysv_key(key: str) -> int:
    """The System V key shared by a key's segment and its lock semaphore."""
    return _recipe(validate_key(key))


def borrow_sysv_key(key: str) -> int:
    """The System V key of a key's pin set (the readers of each slot): the recipe over 0xFF + key."""
    return _recipe(_PINS_PREFIX + validate_key(key))


def wake_sysv_key(key: str) -> int:
    """The System V key of a key's new-image semaphore: the recipe over 0xFE + key."""
    return _recipe(_WAKE_PREFIX + validate_key(key))


def qt_key_file(key: str) -> tuple[str, int | None]:
    """The key file a Qt reader of key uses, and its System V key (None until a program makes the file).
    Qt mode loads only when asked for."""
    from .qt.keys import qt_key_file as find
    return find(key)
