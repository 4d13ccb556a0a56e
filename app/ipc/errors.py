"""The typed errors of the IPC layer; each message is one plain sentence a user can act on.

The command line maps each class to an exit code in app/exit_codes.py; the GUI shows the message in its
status bar. Keep messages free of tracebacks and internal names.
"""

from __future__ import annotations


class ImgShareError(Exception):
    """Base class of every error imgshare reports to a user."""


class InvalidKeyError(ImgShareError, ValueError):
    """The key string is empty, too long or not text."""


class NotSharedError(ImgShareError):
    """Nothing is shared under the key."""


class CorruptSegmentError(ImgShareError):
    """The segment under the key holds our magic but fails validation."""


class ForeignSegmentError(CorruptSegmentError):
    """The segment under the key belongs to another program; imgshare leaves it alone."""


class UnsupportedFormatError(CorruptSegmentError):
    """The segment holds imgshare's magic but another format version (an older or newer build)."""

    def __init__(self, version: int):
        if version == 1:
            message = ("the share under this key was made by an older imgshare (format 1); stop that "
                       "program, or remove the share with 'imgshare remove'")
        else:
            message = (f"the share under this key was made by an imgshare of format {version}; this program "
                       "reads format 2")
        super().__init__(message)
        self.version = version


class LockTimeoutError(ImgShareError, TimeoutError):
    """The key's lock stayed busy for the whole timeout."""


class WaitTimeoutError(ImgShareError, TimeoutError):
    """No image appeared under the key within the time waited."""


class AccessDeniedError(ImgShareError, PermissionError):
    """The operating system refused access to the key's segment or semaphore."""


class KeyInUseError(ImgShareError):
    """Another live sender owns the key."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class ImageError(ImgShareError):
    """An image file or image object cannot be shared (unreadable, not an image, too large)."""


class TooLargeError(ImageError):
    """The image does not fit in the machine's shared-memory limits or the format's caps."""
