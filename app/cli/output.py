"""How the command line prints shares: one line, a table of fields, or JSON.

Everything comes from ShareInfo.as_dict(), where a field a format does not carry is None (a Qt
stream has no sequence number, row stride or checksum): it is printed as absent, never as 0.
"""

from __future__ import annotations

import json
from typing import Any

from ..ipc import printable
from ..ipc.info import ShareInfo

NOT_CARRIED = "none (this format carries none)"


def tags_text(info: ShareInfo) -> str:
    """The share's tags as one line of JSON, control and invisible characters escaped ('-' for none)."""
    if not info.tags:
        return "-"
    return printable(json.dumps(info.tags, ensure_ascii=False, separators=(",", ":")))


def describe(info: ShareInfo) -> str:
    data = info.as_dict()
    source = f" from {info.source_name}" if info.source_name else ""
    converted = f" (converted from {info.source_mode})" if info.converted else ""
    sequence = f", sequence {data['sequence']}" if data["sequence"] is not None else ""
    return (f"{info.width}x{info.height} {info.mode}{converted}{source}{sequence}, "
            f"sender pid {info.sender_pid} ({info.state}), {info.age:.1f} s old")


def _payload(data: dict[str, Any]) -> str:
    if data["stride"] is None:
        encoding = str(data.get("encoding") or "image").upper()
        return f"{data['payload_length']} bytes: a stream holding a {encoding} file, with no checksum"
    return f"{data['payload_length']} bytes, stride {data['stride']}, {data['checksum']}"


def print_info(info: ShareInfo, as_json: bool, bridge: dict[str, Any] | None = None) -> None:
    """The info as rows or JSON; bridge: the pull state of a key a bridge fills (app/bridge/origin.py)."""
    data = info.as_dict()
    if as_json:
        if bridge is not None:
            data["bridge"] = bridge
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    key_file = f", from the key file {data['key_file']}" if data.get("key_file") else ""
    rows = [("key", info.key), ("System V key", f"{info.sysv_key} ({info.sysv_key:#010x}){key_file}"),
            ("size", f"{info.width}x{info.height}"), ("mode", info.mode),
            ("source mode", info.source_mode + (" (converted)" if info.converted else "")),
            ("source", info.source_name or "-"),
            ("sequence", NOT_CARRIED if data["sequence"] is None else data["sequence"]),
            ("sender pid", f"{info.sender_pid} ({info.state})"), ("age", f"{info.age:.1f} s"),
            ("tags", tags_text(info)),
            ("payload", _payload(data)),
            ("segment", f"id {info.segment_id}, {info.segment_size} bytes")]
    if bridge is not None:
        rows += [("from", f"{bridge.get('source')} (through imgshare bridge pull, pid {bridge.get('pid')})"),
                 ("remote sender", str(bridge.get("remote_sender"))), ("bridge", str(bridge.get("words")))]
    for name, value in rows:
        print(f"{name + ':':<{max(14, len(name) + 2)}}{value}")
