"""Follow a key: every new image as it is shared, and when its sender goes and comes back (no Tk).

Used by `imgshare receive --follow` and the Receiver tab's Follow toggle, each from a thread of its own.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .ipc import DEFAULT_LOCK_TIMEOUT, AccessDeniedError, ImgShareError, NotSharedError, Received, Receiver, ShareInfo
from .ipc.info import missed_between

LIVENESS_CHECK_SECONDS = 0.5  # how soon a dead sender is noticed while no frames arrive


class FollowKind(enum.Enum):
    """What a FollowEvent reports."""

    FRAME = "frame"  # a new image: received is set, missed counts the shares skipped before it
    GONE = "gone"  # the sender stopped or died
    ERROR = "error"  # a sentence for the user: error is set


@dataclass(frozen=True)
class FollowEvent:
    """One thing that happened while following a key."""

    kind: FollowKind
    received: Received | None = None
    info: ShareInfo | None = None
    error: ImgShareError | None = None
    missed: int = 0  # FRAME: shares published between the previous frame returned and this one


def follow(receiver: Receiver, stop: threading.Event, *, verify: bool = True,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[FollowEvent]:
    """Yield an event per new image, skipping to the newest when the caller falls behind, until stop.

    GONE is yielded once when the sender stops or dies; frames resume when a sender returns.
    """
    last: ShareInfo | None = None
    gone = False
    reported_error = None
    while not stop.is_set():
        try:
            got = receiver.receive_new(last, LIVENESS_CHECK_SECONDS, lock_timeout=lock_timeout,
                                       verify=verify)
        except ImgShareError as exc:  # busy lock, damaged segment...: say so once, keep following
            if str(exc) != reported_error:
                reported_error = str(exc)
                yield FollowEvent(FollowKind.ERROR, error=exc)
            stop.wait(LIVENESS_CHECK_SECONDS)
            continue
        reported_error = None
        if got is not None:
            missed = missed_between(last, got.info) if not gone else 0
            last, gone = got.info, False
            yield FollowEvent(FollowKind.FRAME, received=got, info=got.info, missed=missed)
            continue
        if last is not None and not gone and not _still_served(receiver, lock_timeout):
            gone = True
            yield FollowEvent(FollowKind.GONE, info=last)


def sender_serving(receiver: Receiver, lock_timeout: float) -> bool:
    """Whether the share under receiver's key is still served (its sender runs, or it was left in place,
    persisted): the one answer `follow` and `receive --follow` give. A busy or damaged share counts as
    served: that is no evidence that its sender went away. Another user's share raises
    AccessDeniedError: it is not this user's to follow (receive --follow refuses it at once)."""
    try:
        info = receiver.info(timeout=lock_timeout)
    except NotSharedError:
        return False
    except AccessDeniedError:
        raise
    except ImgShareError:
        return True  # busy or damaged: not evidence that the sender went away
    return info.sender_alive or info.persisted


def _still_served(receiver: Receiver, lock_timeout: float) -> bool:
    """sender_serving, for a follow under way: a share that became another user's is no news of its sender."""
    try:
        return sender_serving(receiver, lock_timeout)
    except AccessDeniedError:
        return True
