"""Text for a terminal's columns: any string made printable (control characters escaped), measured in
terminal cells (East Asian wide characters take two, combining marks none), cut with "…"."""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def printable(text: str) -> str:
    """text with every control or formatting character written as an escape (\\n, \\x1b, \\u200b)."""
    out = []
    for ch in text:
        if ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def cells(ch: str) -> int:
    """Terminal cells one printable character takes."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    return sum(cells(ch) for ch in text)


def fit(text: str, columns: int, *, right: bool = False) -> str:
    """printable(text) padded to exactly `columns` cells, or cut to them ending in "…"."""
    shown = printable(text)
    if width(shown) > columns:
        kept, used = [], 0
        for ch in shown:
            if used + cells(ch) > columns - 1:
                break
            kept.append(ch)
            used += cells(ch)
        shown = "".join(kept) + ELLIPSIS
    pad = " " * (columns - width(shown))
    return pad + shown if right else shown + pad
