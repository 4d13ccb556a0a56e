"""The typed errors of the IPC layer, and the sentences that recur among them (one home each).

Each message is one plain sentence a user can act on, naming the key as it was typed. The command line
maps each class to an exit code in app/exit_codes.py; the window shows the message in its status bar.
"""

from __future__ import annotations


class ImgShareError(Exception):
    """Base class of every error imgshare reports to a user."""


class InvalidKeyError(ImgShareError, ValueError):
    """The key string is empty, too long, not text, or holds a refused character."""


class InvalidTagsError(ImgShareError, ValueError):
    """Tags that cannot travel with an image (not a JSON object, too long, too deep...)."""


class NotSharedError(ImgShareError):
    """Nothing is shared under the key."""


class BlankSegmentError(NotSharedError):
    """The key's control segment was created but never written (its sender died meanwhile)."""


class CorruptSegmentError(ImgShareError):
    """An object of the key holds imgshare's format but fails validation (damaged)."""


class ForeignSegmentError(CorruptSegmentError):
    """An object at the key belongs to another program; imgshare leaves it alone."""


class KeyCollisionError(ForeignSegmentError):
    """The objects at the key's System V key are another key's (the recipe keeps 31 bits)."""

    def __init__(self, key: str, other: str):
        super().__init__(f"the key {key!r} collides with imgshare key {other!r} (the same System V key); "
                         "choose another key")
        self.other = other


class UnsupportedFormatError(CorruptSegmentError):
    """The key's segment holds imgshare's magic but another format version (an older or newer build)."""

    def __init__(self, version: int, key: str = ""):
        where = f"under key {key!r}" if key else "under this key"
        if 0 < version < 3:
            message = (f"the share {where} was made by an older imgshare (format {version}); stop that "
                       f"program, or remove the share with 'imgshare remove{_key_option(key)}'")
        else:
            message = (f"the share {where} was made by a newer imgshare (format {version}); this program "
                       "reads format 3")
        super().__init__(message)
        self.version = version


class LockTimeoutError(ImgShareError, TimeoutError):
    """Something stayed busy for the whole timeout (the key's owner semaphore, pins at their maximum)."""


class WaitTimeoutError(ImgShareError, TimeoutError):
    """No image appeared under the key within the time waited."""


class AccessDeniedError(ImgShareError, PermissionError):
    """An object of the key belongs to another user."""


class KeyInUseError(ImgShareError):
    """Another live sender serves the key."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class ImageError(ImgShareError):
    """An image file or image object cannot be shared (unreadable, not an image, too large)."""


class TooLargeError(ImageError):
    """The image does not fit the machine's shared-memory limits or the format's caps."""


class SystemLimitError(ImgShareError):
    """A kernel limit (segments, semaphore sets, semaphores a set) refuses the share."""


def _key_option(key: str) -> str:
    return f" --key {key}" if key else ""


# -- sentences that several modules raise ----------------------------------------------------------------
def nothing_shared(key: str) -> NotSharedError:
    return NotSharedError(f"nothing is shared under the key {key!r}")


def nothing_shared_yet(key: str) -> NotSharedError:
    return NotSharedError(f"nothing is shared under the key {key!r} yet")


def blank(key: str) -> BlankSegmentError:
    return BlankSegmentError(f"nothing is shared under the key {key!r} yet")


def foreign(key: str, what: str = "shared memory") -> ForeignSegmentError:
    return ForeignSegmentError(f"the key {key!r} holds another program's {what}, not an imgshare share; "
                               "imgshare leaves it alone: choose another key")


def damaged(key: str, detail: str) -> CorruptSegmentError:
    return CorruptSegmentError(f"the share under key {key!r} is damaged ({detail}); remove it with "
                               f"'imgshare remove{_key_option(key)}'")


def other_user(key: str, owner: str) -> AccessDeniedError:
    return AccessDeniedError(f"permission denied: the key {key!r} belongs to user {owner}; imgshare uses "
                             "only its own user's shares: choose another key")


def in_use(key: str, pid: int, advice: str = "") -> KeyInUseError:
    by = f"pid {pid}" if pid > 0 else "another process"
    return KeyInUseError(f"the key {key!r} is in use by {by}{'; ' + advice if advice else ''}",
                         pid=pid if pid > 0 else None)
