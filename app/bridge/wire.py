"""The bridge's messages on the wire: one owner for their layout and their validation (docs/bridge.md).

Every message is a ZeroMQ multipart message whose first part is the envelope: b"IMGB", the protocol
version (one byte) and the kind (one byte). The second part is UTF-8 JSON; a frame has a third part,
its payload (raw, or compressed as the JSON says).

- REQUEST (client -> server): "send me the newest image of `key` that is not `after`"; re-sent while the
  client waits, it is also the client's heartbeat.
- FRAME (server -> client): the image's descriptor, every field of it by name (so fields a later
  protocol adds, such as tags, cross without a change here), its XXH3 and the payload.
- STATE (server -> client): what the server knows about the key: shared, the sender alive, its keys.

Nothing from the network is trusted: decode_* raise WireError (a short reason, for the log line), and a
descriptor is accepted only if imgshare's own validator accepts it (header.unpack_header).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import typing
from dataclasses import dataclass, field
from typing import Any

from ..ipc.errors import CorruptSegmentError
from ..ipc.header import Header, pack_header, unpack_header

MAGIC = b"IMGB"
VERSION = 1
MAX_JSON_BYTES = 64 * 1024  # a descriptor with 4 KiB of tags fits many times over
MAX_REQUEST_BYTES = 4096  # what a server reads from a client: requests are small


class Kind(enum.Enum):
    REQUEST = b"R"
    FRAME = b"F"
    STATE = b"S"


class WireError(ValueError):
    """A message that is not a valid bridge message (junk, another program, another version)."""


def envelope(kind: Kind) -> bytes:
    return MAGIC + bytes([VERSION]) + kind.value


def kind_of(parts: list[bytes] | list[memoryview]) -> Kind:
    """The kind of a received message, after checking its envelope."""
    if not parts:
        raise WireError("an empty message")
    head = bytes(parts[0][:8])
    if len(head) != 6 or head[:4] != MAGIC:
        raise WireError("not an imgshare bridge message")
    if head[4] != VERSION:
        raise WireError(f"bridge protocol {head[4]}; this imgshare speaks {VERSION}")
    try:
        return Kind(head[5:6])
    except ValueError:
        raise WireError(f"unknown message kind {head[5:6]!r}") from None


def _json(part: bytes | memoryview, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    if len(part) > limit:
        raise WireError("an oversized message")
    try:
        value = json.loads(bytes(part))
    except (UnicodeDecodeError, ValueError):
        raise WireError("a message whose metadata is not JSON") from None
    if not isinstance(value, dict):
        raise WireError("a message whose metadata is not a JSON object")
    return value


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _typed(data: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    value = data.get(name, default)
    if value is ... or not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        raise WireError(f"a message with a bad {name!r}")
    return value


# -- requests -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A client's wish: the newest image of key (None: the server's only key) that is not `after`."""

    key: str | None
    after: tuple[int, int, int] | None  # the identity of the image the client has (pid, sequence, ns)
    number: int  # counts the client's requests; the frame answering one names it
    compress: bool = False  # ask the server to compress (it may compress anyway)


def encode_request(r: Request) -> list[bytes]:
    return [envelope(Kind.REQUEST), _dump({"key": r.key, "after": list(r.after) if r.after else None,
                                           "number": r.number, "compress": r.compress})]


def decode_request(parts: list[bytes]) -> Request:
    if len(parts) != 2:
        raise WireError("a request of the wrong shape")
    data = _json(parts[1], MAX_REQUEST_BYTES)
    key = _typed(data, "key", (str, type(None)))
    after = _typed(data, "after", (list, type(None)))
    if after is not None and (len(after) != 3 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                         for v in after)):
        raise WireError("a request with a bad 'after'")
    return Request(key, tuple(after) if after else None, _typed(data, "number", int),
                   bool(_typed(data, "compress", bool, False)))


# -- state ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceState:
    """What a server says about the key a client asked for."""

    server: str  # a random name per server run: a new one means the server restarted
    keys: tuple[str, ...]  # every key it publishes
    key: str | None  # the key this is about (None: the client named none and the server has several)
    shared: bool = False  # something is shared under it on the server's host
    sender_alive: bool = False  # its sender runs (or left it persisted)
    sequence: int = 0


def encode_state(s: SourceState) -> list[bytes]:
    return [envelope(Kind.STATE), _dump(dataclasses.asdict(s))]


def decode_state(parts: list[bytes]) -> SourceState:
    if len(parts) != 2:
        raise WireError("a state message of the wrong shape")
    data = _json(parts[1])
    keys = _typed(data, "keys", list)
    if not all(isinstance(k, str) for k in keys):
        raise WireError("a state message with bad keys")
    return SourceState(_typed(data, "server", str), tuple(keys), _typed(data, "key", (str, type(None))),
                       _typed(data, "shared", bool), _typed(data, "sender_alive", bool),
                       _typed(data, "sequence", int))


# -- frames ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameMeta:
    """Everything about a frame but its payload."""

    key: str  # the key on the server's host
    header: Header  # as the sender wrote it
    checksum: int  # XXH3-64 of the uncompressed payload
    compression: str  # "none" or a name compression.py knows
    request: int  # the request this answers
    waited: float  # seconds the request waited on the server for this image (not transit)
    age: float  # seconds from the share to the send, on the server's clock
    state: SourceState | None = field(default=None)


@functools.lru_cache(maxsize=1)
def _header_types() -> dict[str, Any]:
    return typing.get_type_hints(Header)


def header_to_json(h: Header) -> dict[str, Any]:
    """Every descriptor field by name: bytes as hex, enums by value, tuples as lists, the rest as is."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(h):
        value = getattr(h, f.name)
        if isinstance(value, (bytes, bytearray)):
            value = value.hex()
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def header_from_json(data: Any) -> Header:
    """The descriptor a peer sent, checked by imgshare's own validator; fields this build does not know
    (from a newer peer) are left out."""
    if not isinstance(data, dict):
        raise WireError("a frame without a descriptor")
    types = _header_types()
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in types:
            continue
        values[name] = _field_value(name, types[name], value)
    try:
        h = Header(**values)
        return unpack_header(pack_header(h), h.payload_length)
    except (TypeError, ValueError, OverflowError, CorruptSegmentError, UnicodeError) as exc:
        raise WireError(f"a frame with a bad descriptor ({exc})") from None


def _field_value(name: str, annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is bytes:
        if not isinstance(value, str):
            raise WireError(f"a frame with a bad {name!r}")
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise WireError(f"a frame with a bad {name!r}") from None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return annotation(value)
        except ValueError:
            raise WireError(f"a frame with a bad {name!r}") from None
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise WireError(f"a frame with a bad {name!r}")
        return tuple(value)
    if annotation in (int, str, bool, float):
        if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
            raise WireError(f"a frame with a bad {name!r}")
    return value  # another JSON value (a tags dict): carried as it came, the validator judges it


def encode_frame(meta: FrameMeta, payload: Any) -> list[Any]:
    data = {"key": meta.key, "header": header_to_json(meta.header), "checksum": meta.checksum,
            "compression": meta.compression, "request": meta.request, "waited": meta.waited,
            "age": meta.age, "state": dataclasses.asdict(meta.state) if meta.state else None}
    return [envelope(Kind.FRAME), _dump(data), payload]


def decode_frame_meta(parts: list[Any]) -> FrameMeta:
    """The metadata of a frame message (its payload is parts[2], checked by the caller)."""
    if len(parts) != 3:
        raise WireError("a frame of the wrong shape")
    data = _json(parts[1])
    state = data.get("state")
    return FrameMeta(
        key=_typed(data, "key", str), header=header_from_json(data.get("header")),
        checksum=_typed(data, "checksum", int), compression=_typed(data, "compression", str),
        request=_typed(data, "request", int), waited=float(_typed(data, "waited", (int, float))),
        age=float(_typed(data, "age", (int, float))),
        state=decode_state([b"", _dump(state)]) if isinstance(state, dict) else None,
    )
