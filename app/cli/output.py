"""How the command line prints shares: one line, a table of fields, or JSON."""

from __future__ import annotations

import json

from ..ipc import printable
from ..ipc.info import ShareInfo


def tags_text(info: ShareInfo) -> str:
    """The share's tags as one line of JSON, control and invisible characters escaped ('-' for none)."""
    if not info.tags:
        return "-"
    return printable(json.dumps(info.tags, ensure_ascii=False, separators=(",", ":")))


def describe(info: ShareInfo) -> str:
    source = f" from {info.source_name}" if info.source_name else ""
    converted = f" (converted from {info.source_mode})" if info.converted else ""
    return (f"{info.width}x{info.height} {info.mode}{converted}{source}, sequence {info.sequence}, "
            f"sender pid {info.sender_pid} ({info.state}), {info.age:.1f} s old")


def print_info(info: ShareInfo, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.as_dict(), indent=2, sort_keys=True))
        return
    rows = [("key", info.key), ("System V key", f"{info.sysv_key} ({info.sysv_key:#010x})"),
            ("size", f"{info.width}x{info.height}"), ("mode", info.mode),
            ("source mode", info.source_mode + (" (converted)" if info.converted else "")),
            ("source", info.source_name or "-"), ("sequence", info.sequence),
            ("sender pid", f"{info.sender_pid} ({info.state})"), ("age", f"{info.age:.1f} s"),
            ("tags", tags_text(info)),
            ("payload", f"{info.payload_length} bytes, stride {info.stride}, {info.checksum}"),
            ("segment", f"id {info.segment_id}, {info.segment_size} bytes")]
    for name, value in rows:
        print(f"{name + ':':<14}{value}")
