"""The two kinds of channel behind one interface: imgshare's own format and Qt mode (docs/qt.md).

Callers (the command line, the window, library users) pick a kind once and use the Protocols below;
they never test which class they hold. factory.py makes one of either kind.
"""

from __future__ import annotations

import enum
from types import TracebackType
from typing import Any, Protocol

from PIL import Image

from ..image16 import Image16
from .defaults import DEFAULT_LOCK_TIMEOUT
from .info import Received, ShareInfo


class ChannelKind(enum.Enum):
    """Which format a share uses."""

    IMGSHARE = "imgshare"  # raw pixels behind imgshare's descriptor (docs/protocol.md)
    QT = "qt"              # QSharedMemory + QDataStream << QImage, as Qt's demo (docs/qt.md)

    @classmethod
    def of(cls, qt: bool) -> ChannelKind:
        return cls.QT if qt else cls.IMGSHARE

    @property
    def signals_new_images(self) -> bool:
        """Whether receivers can sleep until the next share (Qt programs send no such signal)."""
        return self is ChannelKind.IMGSHARE


class ImageSender(Protocol):
    """Publishes images under a key; close() removes the share unless persist is asked for."""

    key: str
    kind: ChannelKind

    @property
    def sequence(self) -> int: ...

    @property
    def sharing(self) -> bool: ...

    def share(self, image: Image.Image | Image16, source_name: str = "", *,
              tags: dict[str, Any] | None = None) -> int: ...

    def close(self, persist: bool = False) -> None: ...

    def __enter__(self) -> ImageSender: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...


class ImageReceiver(Protocol):
    """Reads what is shared under a key."""

    key: str
    kind: ChannelKind

    def receive(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0,
                verify: bool | None = None, borrow: bool = False) -> Received: ...

    def info(self, timeout: float = DEFAULT_LOCK_TIMEOUT, *, wait: float = 0.0) -> ShareInfo: ...

    def close(self) -> None: ...

    def __enter__(self) -> ImageReceiver: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...
