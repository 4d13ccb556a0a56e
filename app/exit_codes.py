"""The one table from error type to exit code (documented in the README)."""

from __future__ import annotations

from . import lifecycle
from .golden.tolerances import ToleranceError
from .ipc.errors import (
    AccessDeniedError,
    CorruptSegmentError,
    ImgShareError,
    InvalidKeyError,
    InvalidTagsError,
    KeyInUseError,
    LockTimeoutError,
    NotSharedError,
    WaitTimeoutError,
)

OK = 0
ERROR = 1
USAGE = 2
NOT_SHARED = 3
CORRUPT = 4
TIMED_OUT = 5
PERMISSION = 6
IN_USE = 7
DIFFERS = 8  # imgshare compare: the images were compared and are not the same
INTERRUPTED = lifecycle.INTERRUPTED  # 130: 128 + SIGINT; another signal N gives 128 + N (143 for SIGTERM)


class UsageError(ImgShareError):
    """Command-line arguments that parse but do not make sense together."""


# Most specific first: ForeignSegmentError is a CorruptSegmentError, and so on.
_TABLE: list[tuple[type[BaseException], int]] = [
    (InvalidKeyError, USAGE),
    (InvalidTagsError, USAGE),
    (UsageError, USAGE),
    (ToleranceError, USAGE),
    (NotSharedError, NOT_SHARED),
    (CorruptSegmentError, CORRUPT),
    (LockTimeoutError, TIMED_OUT),
    (WaitTimeoutError, TIMED_OUT),
    (AccessDeniedError, PERMISSION),
    (KeyInUseError, IN_USE),
    (ImgShareError, ERROR),
]

DESCRIPTIONS = {
    OK: "success",
    ERROR: "other error (bad input file, image too large, cannot write output...)",
    USAGE: "usage error (bad arguments, key or tags)",
    NOT_SHARED: "nothing is shared under that key",
    CORRUPT: "the segment under that key is corrupt or belongs to another program",
    TIMED_OUT: "timed out (the key stayed busy, or --wait expired)",
    PERMISSION: "permission denied (the share belongs to another user)",
    IN_USE: "the key is in use by another live sender",
    DIFFERS: "compare: the image differs from the expected one beyond the tolerances (pixels, size, mode, "
             "palette or transparency)",
    INTERRUPTED: "interrupted by Ctrl+C before finishing (128+N for signal N: 143 for SIGTERM)",
}


def exit_code_for(error: BaseException) -> int:
    for kind, code in _TABLE:
        if isinstance(error, kind):
            return code
    return ERROR
