"""Qt mode: exchange images with programs that use QSharedMemory + `QDataStream << QImage`.

    from imgshare.ipc.qt import QtSender, QtReceiver, list_qt_shares
    with QtSender("169254") as sender:          # an unmodified Qt receiver can load it
        sender.share(image, source_name="photo.png")
    image, info = QtReceiver("169254").receive(timeout=5.0)

The same typed errors as imgshare.ipc, so the command line's exit codes apply. docs/qt.md has the rules.
"""

from .channel import QtReceiver, QtSender
from .info import QtShareInfo
from .keys import QtKey, ftok, temp_dir
from .listing import QtListedShare, list_qt_shares

__all__ = ["QtKey", "QtListedShare", "QtReceiver", "QtSender", "QtShareInfo", "ftok", "list_qt_shares",
           "temp_dir"]
