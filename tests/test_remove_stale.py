"""remove_stale(): what the window's Clean up removes once the user agreed to the list it showed. Only
the shares listed, and of those only the ones still stale: a key whose sender came back between the
question and the answer keeps its share. Real senders killed with SIGKILL."""

from __future__ import annotations

import os
import signal

from PIL import Image

from imgshare.ipc import Receiver, Sender, list_shares, remove_stale
from tests.conftest import start_cli
from tests.ipc_cleanup import objects_of
from tests.test_cli_send import read_line_with


def killed_sender(key: str, path: str) -> None:
    """A stale share at key: `imgshare send path` killed with SIGKILL once it shares."""
    process = start_cli("send", path, "--key", key)
    read_line_with(process.stdout, "shared ")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def test_only_the_listed_shares_that_are_stale_still_are_removed(new_key, tmp_path):
    gone, back, unlisted = new_key(), new_key(), new_key()
    path = tmp_path / "a.png"
    Image.new("RGB", (9, 7), "teal").save(path)
    for key in (gone, back, unlisted):
        killed_sender(key, str(path))
    shown = [share for share in list_shares() if share.key in (gone, back)]  # what the question listed
    assert sorted(share.key for share in shown) == sorted([gone, back]) and all(share.stale for share in shown)
    with Sender(back) as sender:  # its sender came back before the user answered
        sender.share(Image.new("L", (5, 5), 3))
        removed = remove_stale(shown)
        assert [share.key for share in removed] == [gone]
        assert objects_of(gone) == []
        assert Receiver(back).info().width == 5  # still shared
    assert objects_of(unlisted) != []  # not in the list: not touched
