"""The window's title (no Tk): the key and what the window is doing, first, so two windows side by side
or in a task bar tell themselves apart ("Sharing photo.png as 'cam' - imgshare")."""

from __future__ import annotations

from ...ipc import ShareInfo
from ...serving import Shared

APP = "imgshare"


def window_title(on_receiver: bool, sender_key: str, receiver_key: str, shared: Shared | None,
                 following: bool, received: ShareInfo | None) -> str:
    """What both tabs are doing, the shown tab's first; the shown tab's key when neither does anything."""
    sending = f"Sharing {shared.source_name} as {shared.key!r}" if shared is not None else ""
    if following:
        receiving = f"Following {receiver_key!r}"
    elif received is not None:
        receiving = f"Showing {received.key!r} ({received.width}x{received.height} {received.mode})"
    else:
        receiving = ""
    parts = [receiving, sending] if on_receiver else [sending, receiving]
    doing = ", ".join(part for part in parts if part)
    if not doing:
        doing = f"Receiver, key {receiver_key!r}" if on_receiver else f"Sender, key {sender_key!r}"
    return f"{doing} \u2013 {APP}"
