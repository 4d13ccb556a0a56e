"""imgshare's IPC layer: images through System V shared memory (docs/protocol.md), no user interface.

    from imgshare.ipc import Sender, Receiver
    with Sender("169254") as sender:
        sequence = sender.share(image, source_name="photo.png", tags={"exposure_us": 8000})
    with Receiver("169254") as receiver:
        image, info = receiver.receive(timeout=5.0)

numpy arrays too (pip install 'imgshare[numpy]'): `sender.share(array, channels="BGR")`,
`with sender.frame(w, h, "RGB") as pixels: ...`, `array, info = receiver.receive_array(borrow=True)`.
16-bit RGB and RGBA travel as imgshare.Image16 (or uint16 arrays).

The layers: layout/ (byte layouts, no system calls), sysv/ (the System V objects), and the roles:
sender.py with claim.py and served.py, receiver.py with reader.py, directory.py and removal.py.
"""

from ..image16 import Image16
from .defaults import DEFAULT_LOCK_TIMEOUT
from .directory import ListedShare, list_shares
from .errors import (
    AccessDeniedError,
    CorruptSegmentError,
    ForeignSegmentError,
    ImageError,
    ImgShareError,
    InvalidKeyError,
    InvalidTagsError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
    SystemLimitError,
    TooLargeError,
    UnsupportedFormatError,
    WaitTimeoutError,
)
from .factory import open_receiver, open_sender
from .info import Received, ReceivedArray, ShareInfo
from .kinds import ChannelKind, ImageReceiver, ImageSender
from .layout.keys import DEFAULT_KEY, sysv_key, validate_key
from .layout.size import MAX_DIMENSION, check_image_size
from .layout.text import printable
from .receiver import Receiver
from .removal import clean, remove_share
from .sender import Sender

__all__ = [
    "ChannelKind", "DEFAULT_LOCK_TIMEOUT", "ImageReceiver", "ImageSender", "open_receiver", "open_sender",
    "AccessDeniedError", "CorruptSegmentError", "DEFAULT_KEY", "ForeignSegmentError", "Image16", "ImageError",
    "ImgShareError", "InvalidKeyError", "InvalidTagsError", "KeyInUseError", "ListedShare", "LockTimeoutError",
    "MAX_DIMENSION", "NotSharedError", "Received", "ReceivedArray", "Receiver", "Sender", "ShareInfo",
    "SystemLimitError", "TooLargeError", "UnsupportedFormatError", "WaitTimeoutError", "check_image_size",
    "clean", "list_shares", "printable", "remove_share", "sysv_key", "validate_key",
]
