"""imgshare: hand an image from one process to another through System V shared memory.

The source folder is `app/`; it installs as the package `imgshare`. The channel's public API is
re-exported here, loaded on first use so that `imgshare --version` stays cheap:

    from imgshare import Sender, Receiver
"""

from __future__ import annotations

import importlib

# typing.TYPE_CHECKING without importing typing (slow to import): every millisecond before main() runs
# is one in which a Ctrl+C would end in Python's traceback instead of imgshare's quiet exit 130.
TYPE_CHECKING = False

__version__ = "0.1.0"  # the one place the version is written; pyproject.toml reads it from here

if TYPE_CHECKING:
    from typing import Any

    from .golden import CompareResult as CompareResult
    from .golden import Region as Region
    from .golden import Tolerances as Tolerances
    from .golden import compare as compare
    from .ipc import *  # noqa: F403
    from .lifecycle import StopSignals as StopSignals
    from .lifecycle import exit_on_signals as exit_on_signals
    from .showing import show as show

_FROM_IPC = ("AccessDeniedError", "ChannelKind", "CorruptSegmentError", "ForeignSegmentError", "Image16",
             "ImageError", "ImageReceiver", "ImageSender", "ImgShareError", "InvalidKeyError", "InvalidTagsError",
             "KeyInUseError", "LockTimeoutError", "NotSharedError", "Received", "ReceivedArray", "Receiver",
             "Sender", "ShareInfo", "SystemLimitError", "TooLargeError", "UnsupportedFormatError",
             "WaitTimeoutError", "list_shares", "open_receiver", "open_sender")
_ELSEWHERE = {
    "show": ".showing",  # imgshare.show(image, "name"): OpenCV's imshow for imgshare
    "StopSignals": ".lifecycle", "exit_on_signals": ".lifecycle",  # a script's Sender removes its share on SIGTERM
    # imgshare.compare(actual, expected, ...): golden-image checks, with their result and tolerance types
    "compare": ".golden", "CompareResult": ".golden", "Tolerances": ".golden", "Region": ".golden",
}


def __getattr__(name: str) -> Any:
    if name in _FROM_IPC:
        return getattr(importlib.import_module(".ipc", __name__), name)
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", *_FROM_IPC, *_ELSEWHERE]
