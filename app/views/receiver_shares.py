"""The Receiver tab's directory of shares: the key combobox's list, kept fresh, and "Clean up"."""

from __future__ import annotations

from ..ipc import ImgShareError
from . import shares
from .worker import Worker

REFRESH_MS = 2000  # while the Receiver tab is on screen


class SharesController:
    """Owned by the ReceiverTab; lists shares in a worker of its own so a slow list never delays a receive."""

    def __init__(self, tab):
        self.tab = tab
        self.listed: list[shares.Choice] = []
        self.refreshed = 0  # how many listings have arrived (tests wait on it)
        self.worker = Worker(tab, "shares")
        self._after = tab.after(0, self._tick)

    def refresh(self) -> None:
        if not self.worker.busy:
            self.worker.submit(shares.choices, done=self._show, failed=self._failed)

    def picked(self) -> None:
        """A line of the list was chosen: put its key in the field and receive (or follow) it."""
        index = self.tab.key_field.entry.current()
        if not 0 <= index < len(self.listed):
            return
        choice = self.listed[index]
        if choice.key is None:
            self.tab.key_field.var.set("")
            self.tab.status.error("That share's header is damaged, so its key is unknown; Clean up cannot "
                                  "remove it either: use 'imgshare list' and 'imgshare remove'")
            return
        self.tab.key_field.var.set(choice.key)
        self.tab.key_picked()

    def clean(self) -> None:
        self.tab.status.say("Removing stale shares...")
        self.worker.submit(shares.clean_up, done=self._cleaned, failed=self._clean_failed)

    def close(self) -> None:
        self.tab.after_cancel(self._after)
        self.worker.close()

    # -- on the Tk thread ----------------------------------------------------------------------------
    def _tick(self) -> None:
        self._after = self.tab.after(REFRESH_MS, self._tick)
        if self.tab.winfo_ismapped():
            self.refresh()

    def _show(self, listed: list[shares.Choice]) -> None:
        self.listed = listed
        self.refreshed += 1
        self.tab.key_field.entry.configure(values=[choice.text for choice in listed])
        self.tab.shares_label.configure(text=shares.summary(listed))

    def _cleaned(self, removed) -> None:
        self.tab.status.say(shares.cleaned_text(removed))
        self.worker.submit(shares.choices, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        """A refresh runs every few seconds: its failure is noted beside the list, not in the status bar."""
        if not isinstance(exc, ImgShareError):
            raise exc
        self.tab.shares_label.configure(text=f"could not list the shares: {exc}")

    def _clean_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ImgShareError):
            raise exc
        self.tab.status.error(f"Could not clean up: {exc}")
