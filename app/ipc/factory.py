"""One factory for both kinds of channel (kinds.py declares what they offer). Qt mode is imported only
when asked for."""

from __future__ import annotations

from .defaults import DEFAULT_LOCK_TIMEOUT
from .kinds import ChannelKind, ImageReceiver, ImageSender


def open_sender(key: str, kind: ChannelKind = ChannelKind.IMGSHARE, *,
                lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> ImageSender:
    """A sender of the given kind for key (InvalidKeyError for a bad key)."""
    if kind is ChannelKind.QT:
        from .qt import QtSender
        return QtSender(key, lock_timeout=lock_timeout)
    from .sender import Sender
    return Sender(key, lock_timeout=lock_timeout)


def open_receiver(key: str, kind: ChannelKind = ChannelKind.IMGSHARE) -> ImageReceiver:
    """A receiver of the given kind for key (InvalidKeyError for a bad key)."""
    if kind is ChannelKind.QT:
        from .qt import QtReceiver
        return QtReceiver(key)
    from .receiver import Receiver
    return Receiver(key)
