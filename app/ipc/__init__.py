"""imgshare's IPC layer: images through System V shared memory, with no user interface in it.

    from imgshare.ipc import Sender, Receiver
    with Sender("169254") as sender:
        sequence = sender.share(image, source_name="photo.png")
    with Receiver("169254") as receiver:
        image, info = receiver.receive(timeout=5.0)

numpy arrays too (pip install 'imgshare[numpy]'): `sender.share(array, channels="BGR")`,
`with sender.frame(w, h, "RGB") as pixels: ...`, `array, info = receiver.receive_array(borrow=True)`.
"""

from .channel import ChannelKind, ImageReceiver, ImageSender, open_receiver, open_sender
from .defaults import DEFAULT_LOCK_TIMEOUT
from .directory import ListedShare, clean, list_shares, remove_share, remove_stale
from .errors import (
                     AccessDeniedError,
                     CorruptSegmentError,
                     ForeignSegmentError,
                     ImageError,
                     ImgShareError,
                     InvalidKeyError,
                     KeyInUseError,
                     LockTimeoutError,
                     NotSharedError,
                     TooLargeError,
                     UnsupportedFormatError,
                     WaitTimeoutError,
)
from .info import Received, ReceivedArray, ShareInfo
from .keys import DEFAULT_KEY, qt_key_file, sysv_key, validate_key
from .receiver import Receiver
from .sender import Sender

__all__ = [
    "ChannelKind", "DEFAULT_LOCK_TIMEOUT", "ImageReceiver", "ImageSender", "open_receiver", "open_sender",
    "AccessDeniedError", "CorruptSegmentError", "DEFAULT_KEY", "ForeignSegmentError", "ImageError",
    "ImgShareError", "InvalidKeyError", "KeyInUseError", "ListedShare", "LockTimeoutError",
    "NotSharedError", "Received", "ReceivedArray", "Receiver", "Sender", "ShareInfo", "TooLargeError",
    "UnsupportedFormatError", "WaitTimeoutError", "clean", "list_shares", "qt_key_file", "remove_share", "remove_stale",
    "sysv_key",
    "validate_key",
]
