"""The Receiver tab's work, with no widgets: receive under a key, describe the header, save, copy."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PIL import Image

from ..image16 import Image16
from ..imaging import Fidelity, lossless_extension, save_image
from ..ipc import ChannelKind, ImageReceiver, NotSharedError, ShareInfo, open_receiver
from .display import display_base


@dataclass(frozen=True)
class Got:
    """A received image, its header facts, and its display copy (the image itself is never changed)."""

    image: Image.Image | Image16  # 16-bit colour (RGB;16, RGBA;16) is an Image16
    info: ShareInfo
    base: Image.Image


_SPOKEN_FORMATS = {"WEBP": "WebP", "JPEG2000": "JPEG 2000"}  # Pillow's format names, as people write them


def receiver_for(key: str, qt: bool = False) -> ImageReceiver:
    """imgshare's own Receiver, or in Qt mode one that reads what QSharedMemory programs share."""
    return open_receiver(key, ChannelKind.of(qt))


def receive(key: str, lock_timeout: float, qt: bool = False) -> Got:
    """Read the image under key; the typed errors of imgshare.ipc say what went wrong."""
    with receiver_for(key, qt) as receiver:
        image, info = receiver.receive(timeout=lock_timeout)
    return Got(image, info, display_base(image))


def sender_state(key: str, info: ShareInfo, lock_timeout: float, qt: bool = False) -> str:
    """The shown image's sender as it is now: 'alive', 'sender gone', 'persisted' or a newer share."""
    try:
        with receiver_for(key, qt) as receiver:
            now = receiver.info(timeout=lock_timeout)
    except NotSharedError:
        return "sender gone (share removed)"
    if now.identity != info.identity:
        return f"{info.state}; a newer image (sequence {now.sequence}) is shared, press Receive"
    return now.state


def info_rows(info: ShareInfo, state: str | None = None) -> list[tuple[str, str]]:
    mode = info.mode + (f" (converted from {info.source_mode})" if info.converted else "")
    return [("Size", f"{info.width} x {info.height}"), ("Mode", mode), ("Source", info.source_name or "-"),
            ("Sequence", str(info.sequence)), ("Sender", f"pid {info.sender_pid}, {state or info.state}"),
            ("Age", age_text(info.age)), ("Key", f"{info.key} ({info.sysv_key:#010x})")]


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


def save(image: Image.Image, path: str) -> tuple[str, Fidelity]:
    """Write image to path (ImageError with a sentence if it cannot); returns the path and whether
    the file keeps every pixel (imaging.save_image decides)."""
    return path, save_image(image, path)


def saved_text(path: str, image: Image.Image, fidelity: Fidelity) -> str:
    """The status sentence after a save; a lossy format says that the file's pixels are not exact."""
    text = f"Saved {path} ({image.width}x{image.height} {image.mode})"
    if fidelity is Fidelity.LOSSY:
        name = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), "this format")
        text += (f"; {_SPOKEN_FORMATS.get(name, name)} is lossy, so the file's pixels differ from the image "
                 "(save as PNG or TIFF for exact pixels)")
    return text
