"""How the command line prints shares: one line, a table of fields, or JSON."""

from __future__ import annotations

import json
from typing import Any

from ..ipc.info import ShareInfo


def describe(info: ShareInfo) -> str:
    source = f" from {info.source_name}" if info.source_name else ""
    converted = f" (converted from {info.source_mode})" if info.converted else ""
    return (f"{info.width}x{info.height} {info.mode}{converted}{source}, sequence {info.sequence}, "
            f"sender pid {info.sender_pid} ({info.state}), {info.age:.1f} s old")


def print_info(info: ShareInfo, as_json: bool, bridge: dict[str, Any] | None = None) -> None:
    """The info as rows or JSON; bridge: the pull state of a key a bridge fills (app/bridge/origin.py)."""
    if as_json:
        data = info.as_dict()
        if bridge is not None:
            data["bridge"] = bridge
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    rows = [("key", info.key), ("System V key", f"{info.sysv_key} ({info.sysv_key:#010x})"),
            ("size", f"{info.width}x{info.height}"), ("mode", info.mode),
            ("source mode", info.source_mode + (" (converted)" if info.converted else "")),
            ("source", info.source_name or "-"), ("sequence", info.sequence),
            ("sender pid", f"{info.sender_pid} ({info.state})"), ("age", f"{info.age:.1f} s"),
            ("payload", f"{info.payload_length} bytes, stride {info.stride}, {info.checksum}"),
            ("segment", f"id {info.segment_id}, {info.segment_size} bytes")]
    if bridge is not None:
        rows += [("from", f"{bridge.get('source')} (through imgshare bridge pull, pid {bridge.get('pid')})"),
                 ("remote sender", str(bridge.get("remote_sender"))), ("bridge", str(bridge.get("words")))]
    for name, value in rows:
        print(f"{name + ':':<{max(14, len(name) + 2)}}{value}")
