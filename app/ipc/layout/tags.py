"""Per-image tags: a small JSON object a sender attaches to one image (docs/protocol.md §8.6).

Both ends check the same rules: UTF-8 JSON text of at most 4096 bytes whose top level is an object, no
byte-order mark, nesting no deeper than 16, no member name twice, no NaN or Infinity. The depth is
checked on the text before parsing, so no JSON parser is driven into deep recursion.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_TAG_BYTES = 4096
MAX_DEPTH = 16


class TagsProblem(ValueError):
    """Why some tags break §8.6 (one phrase, for a sentence)."""


def _depth(text: str) -> int:
    """The deepest nesting of objects and arrays in JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise TagsProblem("a member name appears twice")
    return dict(pairs)


def _refuse_constant(name: str) -> Any:
    raise TagsProblem(f"{name} is not JSON")


def parse_tags(raw: bytes) -> dict[str, Any]:
    """The tags object in raw (empty: {}); TagsProblem when raw breaks §8.6."""
    if not raw:
        return {}
    if len(raw) > MAX_TAG_BYTES:
        raise TagsProblem(f"{len(raw)} bytes, more than {MAX_TAG_BYTES}")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise TagsProblem("a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TagsProblem("not valid UTF-8") from None
    if _depth(text) > MAX_DEPTH:
        raise TagsProblem(f"nested deeper than {MAX_DEPTH}")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise TagsProblem(f"not JSON ({exc.msg} at byte {exc.pos})") from None
    except RecursionError:  # cannot happen below MAX_DEPTH; kept so no parser error escapes untyped
        raise TagsProblem("nested too deep") from None
    if not isinstance(value, dict):
        raise TagsProblem(f"a JSON {type(value).__name__}, not an object")
    return value


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True


def encode_tags(tags: dict[str, Any] | None) -> bytes:
    """The bytes a sender writes for tags (b"" for none); TagsProblem when they break §8.6."""
    if not tags:
        if tags is None or isinstance(tags, dict):
            return b""
    if not isinstance(tags, dict):
        raise TagsProblem(f"tags must be a dict (a JSON object), not {type(tags).__name__}")
    if not _finite(tags):
        raise TagsProblem("NaN and Infinity are not JSON")
    try:
        text = json.dumps(tags, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TagsProblem(f"not JSON-serialisable ({exc})") from None
    raw = text.encode("utf-8", "surrogatepass")
    parse_tags(raw)  # the reader's rules (size, depth, names, valid UTF-8)
    return raw
