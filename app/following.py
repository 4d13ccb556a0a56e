"""Follow a key: every new image as it is shared, and when its sender goes and comes back (no Tk).

Used by `imgshare receive --follow` and the Receiver tab's Follow toggle, each from a thread of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .ipc import ImgShareError, NotSharedError, Received, Receiver, ShareInfo

LIVENESS_CHECK_SECONDS = 0.5  # how soon a dead sender is noticed while no frames arrive


@dataclass(frozen=True)
class FollowEvent:
    """kind: "frame" (received is set), "gone" (the sender stopped or died), or "error" (a sentence)."""

    kind: str
    received: Received | None = None
    info: ShareInfo | None = None
    error: ImgShareError | None = None


def follow(receiver: Receiver, stop: threading.Event, *, verify: bool = True,
           lock_timeout: float = 5.0) -> Iterator[FollowEvent]:
    """Yield an event per new image, skipping to the newest when the caller falls behind, until stop.

    "gone" is yielded once when the sender stops or dies; frames resume when a sender returns.
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
                yield FollowEvent("error", error=exc)
            stop.wait(LIVENESS_CHECK_SECONDS)
            continue
        reported_error = None
        if got is not None:
            last, gone = got.info, False
            yield FollowEvent("frame", received=got, info=got.info)
            continue
        if last is not None and not gone and not _sender_serving(receiver, lock_timeout):
            gone = True
            yield FollowEvent("gone", info=last)


def _sender_serving(receiver: Receiver, lock_timeout: float) -> bool:
    try:
        info = receiver.info(timeout=lock_timeout)
    except NotSharedError:
        return False
    except ImgShareError:
        return True  # busy or damaged: not evidence that the sender went away
    return info.sender_alive or info.persisted
