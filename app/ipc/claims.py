"""Which keys the live senders of this process own: a second sender on the same key is refused.

Processes are told apart by the pid in the header (or Qt's segment creator); within one process only
this registry can tell two senders apart.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable


class Claim:
    """One sender's hold on a token (a System V key, or a Qt key file) in a process-wide registry."""

    _held: set[Hashable] = set()
    _guard = threading.Lock()

    def __init__(self, token: Hashable):
        self.token = token
        self.held = False

    def take(self) -> bool:
        """Hold the token; False if another live sender of this process holds it."""
        if self.held:
            return True
        with Claim._guard:
            if self.token in Claim._held:
                return False
            Claim._held.add(self.token)
        self.held = True
        return True

    def give_up(self) -> None:
        if self.held:
            with Claim._guard:
                Claim._held.discard(self.token)
            self.held = False
