"""Which code points keys and source names may not hold, and how untrusted text is shown safely
(docs/protocol.md §3.1, §8.5, §8.6).

The table is Unicode's Default_Ignorable_Code_Point with the categories Cc, Zl and Zp and the
annotation controls, written out so that no Unicode database (and no Python version) changes it.
"""

from __future__ import annotations

import bisect

REFUSED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C),
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_STARTS = [low for low, _ in REFUSED_RANGES]


def is_refused(point: int) -> bool:
    """Whether a code point may not appear in a key or a source name."""
    index = bisect.bisect_right(_STARTS, point) - 1
    return index >= 0 and point <= REFUSED_RANGES[index][1]


def refused_character(text: str) -> tuple[int, str] | None:
    """(position, character) of the first refused character of text, or None."""
    for position, char in enumerate(text):
        if is_refused(ord(char)):
            return position, char
    return None


def printable(text: str) -> str:
    """text with each refused character (escape, bidirectional override, zero-width...) written as a
    visible escape, \\x1b or \\u202e: safe to print to a terminal or show in a window."""
    if refused_character(text) is None:
        return text
    out = []
    for char in text:
        point = ord(char)
        if not is_refused(point):
            out.append(char)
        elif point < 0x100:
            out.append(f"\\x{point:02x}")
        elif point < 0x10000:
            out.append(f"\\u{point:04x}")
        else:
            out.append(f"\\U{point:08x}")
    return "".join(out)


def clean_source_name(name: str) -> str:
    """A source name as a sender writes it (§8.5): the base name's refused characters replaced by U+FFFD
    and slashes by '_'."""
    return "".join("\ufffd" if is_refused(ord(c)) else "_" if c == "/" else c for c in name)


def source_name_problem(name: str) -> str | None:
    """Why a received source name breaks §8.5, or None."""
    if "/" in name:
        return "it holds a '/'"
    refused = refused_character(name)
    if refused is not None:
        return f"it holds the character U+{ord(refused[1]):04X}"
    return None
