"""Pulled images as images, for a program that shows them itself (the window's Receiver) instead of
sharing them under a local key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from ..image16 import Image16
from ..ipc import ShareInfo
from .frames import ImageMeta, remote_info, to_image

Deliver = Callable[[Image.Image | Image16, ShareInfo], None]


class ImageSink:
    """A FrameSink that hands each image on as a Pillow image (or an Image16) and its ShareInfo."""

    def __init__(self, source: str, deliver: Deliver):
        self.source = source
        self.deliver = deliver

    def publish(self, meta: ImageMeta, rows: Any, remote_key: str) -> None:
        self.deliver(to_image(meta, rows), remote_info(meta, self.source, len(rows)))

    def close(self) -> None:
        pass
