"""The Receiver tab's model, with no widgets: receive under a key, is its sender still there, what the
header says, a file name to save it under."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from PIL import Image

from ...image16 import Image16
from ...imaging import lossless_extension
from ...ipc import (
    ChannelKind,
    ImageReceiver,
    ImgShareError,
    LockTimeoutError,
    NotSharedError,
    ShareInfo,
    open_receiver,
    printable,
)
from ..imageview.display import display_base

REMOTE_SCHEME = "tcp://"  # a bridge server's address where a key goes (remote_model.py pulls from it)
KEY_TIP = ("The name both programs agree on; it maps to the System V key shown beside it. Or the address of "
           "'imgshare bridge serve' on another host, tcp://HOST:PORT/KEY, to pull its images from there. The "
           "list offers this user's shares and the keys used recently.")


def is_remote(text: str) -> bool:
    """Whether the key field holds a bridge server's address rather than a key."""
    return text.startswith(REMOTE_SCHEME)


@dataclass(frozen=True)
class Got:
    """A received image, its header facts, and its display copy (the image itself is never changed)."""

    image: Image.Image | Image16  # 16-bit colour (RGB;16, RGBA;16) is an Image16
    info: ShareInfo
    base: Image.Image


def receiver_for(key: str, qt: bool = False) -> ImageReceiver:
    """imgshare's own Receiver, or in Qt mode one that reads what QSharedMemory programs share."""
    return open_receiver(key, ChannelKind.of(qt))


def describe_address(text: str) -> str | None:
    """What a bridge server's address in the key field names (or why it is not one); None for a key."""
    if not is_remote(text):
        return None
    from ...bridge.address import parse_address
    try:
        address = parse_address(text, listening=False)
    except ImgShareError as exc:
        return f"invalid address: {exc}"
    return f"a bridge server at {address.host}:{address.port}" + (f", key {address.key!r}" if address.key else "")


def receive(key: str, lock_timeout: float, qt: bool = False) -> Got:
    """Read the image under key, or pull it from a bridge server's address (tcp://host:port/KEY); the
    typed errors of imgshare.ipc say what went wrong."""
    if is_remote(key):
        from .remote_model import receive_remote
        return receive_remote(key, lock_timeout)
    with receiver_for(key, qt) as receiver:
        image, info = receiver.receive(timeout=lock_timeout)
    return Got(image, info, display_base(image))


QT_FORMAT_NOW = "shares in Qt's format now"  # the Sender row when a sender ticked Qt compatible


def qt_format_sentence(key: str) -> str:
    """What to say when key is shared in Qt's format instead of imgshare's, and how to see it."""
    return (f"Key {key!r} is shared in Qt's format now (its sender ticked Qt compatible): tick Qt "
            "compatible here and press Receive to see it (a Qt share cannot be followed; following goes on "
            "and shows the next image shared in imgshare's format)")


def shared_in_qt_format(key: str, lock_timeout: float) -> bool:
    """Whether a Qt-format share is under key now: a sender may have ticked Qt compatible."""
    try:
        with receiver_for(key, qt=True) as receiver:
            receiver.info(timeout=lock_timeout)
    except LockTimeoutError:
        return True  # a Qt program holds its lock: there is a share
    except ImgShareError:  # nothing, another program's segment, a key Qt cannot use
        return False
    return True


def sender_state(key: str, info: ShareInfo, lock_timeout: float, qt: bool = False) -> str:
    """The shown image's sender as it is now: 'alive', 'sender gone', 'persisted' or a newer share."""
    if is_remote(key):
        return f"on another host ({key}); press Receive for its newest image"
    try:
        with receiver_for(key, qt) as receiver:
            now = receiver.info(timeout=lock_timeout)
    except NotSharedError:
        if not qt and shared_in_qt_format(key, lock_timeout):
            return f"{QT_FORMAT_NOW}: tick Qt compatible and press Receive"
        return "sender gone (share removed)"
    if now.identity != info.identity:
        return f"{info.state}; a newer image (sequence {now.sequence}) is shared, press Receive"
    return now.state


def info_rows(info: ShareInfo, state: str | None = None) -> list[tuple[str, str]]:
    mode = info.mode + (f" (converted from {info.source_mode})" if info.converted else "")
    return [("Size", f"{info.width} x {info.height}"), ("Mode", mode), ("Source", info.source_name or "-"),
            ("Sequence", str(info.sequence)),
            ("Sender", f"pid {info.sender_pid} on the far host" if is_remote(info.key) and state is None
             else f"pid {info.sender_pid}, {state or info.state}"),
            ("Age", age_text(info.age)), ("Tags", tags_text(info.tags)),
            ("Key", info.key if is_remote(info.key) else f"{info.key} ({info.sysv_key:#010x})")]


def tags_text(tags: dict[str, object]) -> str:
    """A share's tags for the header panel: compact JSON, invisible and control characters escaped."""
    if not tags:
        return "-"
    return printable(json.dumps(tags, ensure_ascii=False, separators=(", ", ": ")))


def age_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


def suggested_name(info: ShareInfo, mode: str) -> str:
    """A file name for Save as: the source's stem and an extension that holds the mode losslessly."""
    stem = os.path.splitext(info.source_name)[0] if info.source_name else f"imgshare-{info.sequence}"
    return stem + lossless_extension(mode)
