"""The bridge's messages on the wire: one owner for their layout and their validation (docs/bridge.md).

Every message is a ZeroMQ multipart message whose first part is the envelope: b"IMGB", the protocol
version (one byte) and the kind (one byte). The second part is UTF-8 JSON; a frame has a third part,
its payload (raw, or compressed as the JSON says).

- REQUEST (client -> server): "send me the newest image of `key` that is not `after`"; re-sent while the
  client waits, it is also the client's heartbeat.
- FRAME (server -> client): the image's fields as imgshare's public API reports them (frames.ImageMeta:
  size, mode, stride, palette, transparency, flags, source name, epoch and sequence, share time, the
  images the client missed, tags), the XXH3 of its rows and the rows without padding.
- STATE (server -> client): what the server knows about the key: shared, the sender alive, its keys.

The format is the bridge's own, not the shared-memory descriptor: a new shared-memory protocol changes
nothing here. Nothing from the network is trusted: decode_* raise WireError (a short reason, for the
log line) for anything out of shape or range.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from dataclasses import dataclass, field
from typing import Any

from .frames import BGR_MODES, MODES, ImageMeta, Transparency

MAGIC = b"IMGB"
VERSION = 2  # 1 carried protocol 2's descriptor; 2 carries the image's public fields (imgshare 3)
MAX_JSON_BYTES = 64 * 1024  # an image's fields with 4 KiB of tags (escaped: up to 24 KiB) fit
MAX_DIMENSION = 65536
MAX_TAGS_BYTES = 4096  # as JSON, compact: what Sender.share accepts
U64 = (1 << 64) - 1
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
        value = json.loads(bytes(part), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("a message whose metadata is not JSON") from None
    if not isinstance(value, dict):
        raise WireError("a message whose metadata is not a JSON object")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity; the bridge's peers may not


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _integer(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


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
    after: tuple[int, int] | None  # the identity of the image the client has (epoch, sequence)
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
    if after is not None and (len(after) != 2 or not all(_integer(v, 0, U64) for v in after)):
        raise WireError("a request with a bad 'after'")
    return Request(key, (after[0], after[1]) if after else None, _typed(data, "number", int),
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
    image: ImageMeta
    checksum: int  # XXH3-64 of the rows (uncompressed, without padding)
    compression: str  # "none" or a name compression.py knows
    request: int  # the request this answers
    waited: float  # seconds the request waited on the server for this image (not transit)
    age: float  # seconds from the share to the send, on the server's clock
    missed: int = 0  # images shared there since the one this client got before (0 for its first)
    state: SourceState | None = field(default=None)


def image_to_json(m: ImageMeta) -> dict[str, Any]:
    t = m.transparency
    transparency = (None if t is None else {"alpha": t.hex()} if isinstance(t, bytes)
                    else {"colour": list(t)} if isinstance(t, tuple) else {"value": t})
    return {"width": m.width, "height": m.height, "mode": m.mode, "epoch": m.epoch, "sequence": m.sequence,
            "timestamp": m.timestamp, "source_name": m.source_name, "source_mode": m.source_mode,
            "converted": m.converted, "bgr": m.bgr, "stride": m.stride, "sender_pid": m.sender_pid,
            "sender_alive": m.sender_alive, "persisted": m.persisted, "palette_mode": m.palette_mode,
            "palette": m.palette.hex(), "transparency": transparency, "tags": m.tags}


def image_from_json(data: Any) -> ImageMeta:
    """An image's fields as a peer sent them, each checked for type and range."""
    if not isinstance(data, dict):
        raise WireError("a frame without its image's fields")
    mode = _typed(data, "mode", str)
    if mode not in MODES:
        raise WireError(f"a frame of an unknown mode {mode[:20]!r}")
    width, height = _typed(data, "width", int), _typed(data, "height", int)
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise WireError("a frame with a bad size")
    epoch, sequence = _typed(data, "epoch", int), _typed(data, "sequence", int)
    if not (_integer(epoch, 0, U64) and _integer(sequence, 1, (1 << 63) - 1)):
        raise WireError("a frame with a bad epoch or sequence")
    source_name, source_mode = _typed(data, "source_name", str), _typed(data, "source_mode", str)
    if len(source_name.encode("utf-8", "surrogatepass")) > 1024 or len(source_mode) > 16:
        raise WireError("a frame with an oversized name")
    bgr = _typed(data, "bgr", bool)
    if bgr and mode not in BGR_MODES:
        raise WireError("a frame with a bad 'bgr'")
    palette_mode = _typed(data, "palette_mode", str)
    try:
        palette = bytes.fromhex(_typed(data, "palette", str))
    except ValueError:
        raise WireError("a frame with a bad 'palette'") from None
    if palette and (mode != "P" or palette_mode not in ("RGB", "RGBA") or len(palette) % len(palette_mode)
                    or len(palette) > 256 * len(palette_mode)):
        raise WireError("a frame with a bad 'palette'")
    tags = _typed(data, "tags", dict)
    if len(json.dumps(tags, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_TAGS_BYTES:
        raise WireError("a frame with oversized tags")
    return ImageMeta(
        width=width, height=height, mode=mode, epoch=epoch, sequence=sequence,
        timestamp=float(_typed(data, "timestamp", (int, float))), source_name=source_name,
        source_mode=source_mode, converted=_typed(data, "converted", bool), bgr=bgr,
        stride=_typed(data, "stride", int), sender_pid=_typed(data, "sender_pid", int),
        sender_alive=_typed(data, "sender_alive", bool), persisted=_typed(data, "persisted", bool),
        palette_mode=palette_mode if palette else "", palette=palette,
        transparency=_transparency(data.get("transparency")), tags=tags)


def _transparency(value: Any) -> Transparency:
    if value is None:
        return None
    if isinstance(value, dict) and len(value) == 1:
        (kind, v), = value.items()
        if kind == "value" and _integer(v, 0, (1 << 31) - 1):
            return int(v)
        if kind == "colour" and isinstance(v, list) and len(v) == 3 and all(_integer(c, 0, 65535) for c in v):
            return (v[0], v[1], v[2])
        if kind == "alpha" and isinstance(v, str) and len(v) <= 512:
            try:
                return bytes.fromhex(v)
            except ValueError:
                pass
    raise WireError("a frame with a bad 'transparency'")


def encode_frame(meta: FrameMeta, payload: Any) -> list[Any]:
    data = {"key": meta.key, "image": image_to_json(meta.image), "checksum": meta.checksum,
            "compression": meta.compression, "request": meta.request, "waited": meta.waited,
            "age": meta.age, "missed": meta.missed, "state": dataclasses.asdict(meta.state) if meta.state else None}
    return [envelope(Kind.FRAME), _dump(data), payload]


def decode_frame_meta(parts: list[Any]) -> FrameMeta:
    """The metadata of a frame message (its payload is parts[2], checked by the caller)."""
    if len(parts) != 3:
        raise WireError("a frame of the wrong shape")
    data = _json(parts[1])
    state = data.get("state")
    checksum = _typed(data, "checksum", int)
    if not _integer(checksum, 0, U64):
        raise WireError("a frame with a bad 'checksum'")
    missed = _typed(data, "missed", int, 0)
    if not _integer(missed, 0, U64):
        raise WireError("a frame with a bad 'missed'")
    return FrameMeta(
        key=_typed(data, "key", str), image=image_from_json(data.get("image")), checksum=checksum,
        compression=_typed(data, "compression", str), request=_typed(data, "request", int),
        waited=float(_typed(data, "waited", (int, float))), age=float(_typed(data, "age", (int, float))),
        missed=missed,
        state=decode_state([b"", _dump(state)]) if isinstance(state, dict) else None,
    )
