"""The Receiver tab's directory of shares: the key combobox's list (this user's shares, then the keys
used recently), kept fresh, and "Clean up".

The controller never touches the tab's widgets: the tab hands it a KeyListHooks of typed callables.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass

from ...ipc import ImgShareError, ListedShare
from ..background.worker import Worker
from . import key_list_model

REFRESH_MS = 2000  # while the Receiver tab is on screen


@dataclass(frozen=True)
class KeyListHooks:
    """What the share list needs from the tab."""

    widget: tk.Misc  # for after(), the worker's polling, and whether the tab is on screen
    picked_index: Callable[[], int]  # the list line just chosen (-1 for none)
    set_key: Callable[[str], None]  # put a key in the key field
    use_key: Callable[[], None]  # receive (or follow) the key now in the field
    set_lines: Callable[[list[str]], None]  # the combobox's list
    set_summary: Callable[[str], None]  # "3 shares, 1 stale" beside the Clean up button
    say: Callable[[str], None]
    error: Callable[[str], None]
    recent_keys: Callable[[], list[str]] = list


class KeyListController:
    """Owned by the ReceiverTab; lists shares in a worker of its own so a slow list never delays a receive."""

    def __init__(self, hooks: KeyListHooks):
        self.hooks = hooks
        self.listed: list[key_list_model.Choice] = []
        self.recent: list[str] = []  # the recent keys listed after the shares
        self.refreshed = 0  # how many listings have arrived (tests wait on it)
        self.worker = Worker(hooks.widget, "shares")
        self._after = hooks.widget.after(0, self._tick)

    def refresh(self) -> None:
        self._show_lines()  # recent keys at once; the shares when the listing arrives
        if not self.worker.busy:
            self.worker.submit(key_list_model.choices, done=self._show, failed=self._failed)

    def picked(self) -> None:
        """A line of the list was chosen: put its key in the field and receive (or follow) it."""
        index = self.hooks.picked_index()
        if len(self.listed) <= index < len(self.listed) + len(self.recent):
            self.hooks.set_key(self.recent[index - len(self.listed)])
            self.hooks.use_key()
            return
        if not 0 <= index < len(self.listed):
            return
        choice = self.listed[index]
        if choice.key is None:
            self.hooks.set_key("")
            self.hooks.error("That share's header is damaged, so its key is unknown; Clean up cannot "
                             "remove it either: use 'imgshare list' and 'imgshare remove'")
            return
        self.hooks.set_key(choice.key)
        self.hooks.use_key()

    def clean(self) -> None:
        self.hooks.say("Removing stale shares...")
        self.worker.submit(key_list_model.clean_up, done=self._cleaned, failed=self._clean_failed)

    def close(self) -> None:
        self.hooks.widget.after_cancel(self._after)
        self.worker.close()

    # -- on the Tk thread ----------------------------------------------------------------------------
    def _tick(self) -> None:
        self._after = self.hooks.widget.after(REFRESH_MS, self._tick)
        if self.hooks.widget.winfo_ismapped():
            self.refresh()

    def _show(self, listed: list[key_list_model.Choice]) -> None:
        self.listed = listed
        self.refreshed += 1
        self._show_lines()
        self.hooks.set_summary(key_list_model.summary(listed))

    def _show_lines(self) -> None:
        shared = {choice.key for choice in self.listed}
        self.recent = [key for key in self.hooks.recent_keys() if key not in shared]
        self.hooks.set_lines([choice.text for choice in self.listed] +
                             [key_list_model.recent_text(key) for key in self.recent])

    def _cleaned(self, removed: list[ListedShare]) -> None:
        self.hooks.say(key_list_model.cleaned_text(removed))
        self.worker.submit(key_list_model.choices, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        """A refresh runs every few seconds: its failure is noted beside the list, not in the status bar."""
        if not isinstance(exc, ImgShareError):
            raise exc
        self.hooks.set_summary(f"could not list the shares: {exc}")

    def _clean_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ImgShareError):
            raise exc
        self.hooks.error(f"Could not clean up: {exc}")
