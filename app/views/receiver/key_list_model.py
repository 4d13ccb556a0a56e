"""The Receiver tab's list of this user's shares, with no widgets: one line per share, and cleaning up.

Runs in a worker: list_shares() attaches to every segment to read its header.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...ipc import ListedShare, clean, list_shares
from .model import age_text


@dataclass(frozen=True)
class Choice:
    """One line of the key combobox: the key to use (None for a damaged share) and what to show."""

    key: str | None
    text: str
    state: str

    @property
    def stale(self) -> bool:
        return self.state == "stale"


def choices() -> list[Choice]:
    """This user's imgshare shares, newest first, as combobox lines."""
    return [choice_for(share) for share in list_shares()]


def choice_for(share: ListedShare) -> Choice:
    info = share.info
    if info is None:
        return Choice(None, f"(damaged) System V key {share.sysv_key:#010x}: {share.problem or 'bad header'}",
                      share.state)
    mark = "STALE - " if share.stale else ""
    return Choice(info.key, f"{info.key}  -  {mark}{info.width}x{info.height} {info.mode}, pid {info.sender_pid}, "
                            f"{share.state}, {age_text(info.age)} ago", share.state)


def recent_text(key: str) -> str:
    """A recently used key that is not shared now, as a combobox line."""
    return f"{key}  -  used recently, not shared now"


def summary(listed: list[Choice]) -> str:
    stale = sum(choice.stale for choice in listed)
    text = f"{len(listed)} share{'s' if len(listed) != 1 else ''}"
    return text + (f", {stale} stale" if stale else "")


def clean_up() -> list[ListedShare]:
    """Remove only the stale shares; returns those removed."""
    return clean()


def cleaned_text(removed: list[ListedShare]) -> str:
    if not removed:
        return "No stale shares to clean up; nothing was removed"
    keys = ", ".join(repr(share.info.key) for share in removed if share.info is not None)
    return f"Cleaned up {len(removed)} stale share{'s' if len(removed) != 1 else ''} ({keys})"
