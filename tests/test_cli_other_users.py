"""Another user's share on the command line: whose it is and what can be done, said in plain words
(no "lock"); `list` says it lists only your own shares. The other user is `nobody` (the fixture of
tests/reliability/test_other_users.py)."""

from __future__ import annotations

import pytest

from imgshare.ipc import Receiver, Sender
from tests.conftest import run_cli
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of
from tests.reliability.test_other_users import as_nobody  # noqa: F401  (a fixture, used by name)

pytestmark = pytest.mark.slow


def test_touching_roots_share_as_nobody_says_whose_it_is(private_ipc, as_nobody, key):  # noqa: F811
    """In a private IPC namespace: nobody's `list` shows every share of nobody's, the neighbour's too."""
    run, _home = as_nobody
    original = make_image("RGB", (40, 30))
    with Sender(key) as sender:
        sender.share(original)
        for args in (["receive"], ["info"], ["remove", "--force"]):
            result = run(*args, "--key", key)
            assert result.returncode == 6, (args, result.stderr)
            assert result.stderr.strip() == (
                f"imgshare: error: permission denied: the share under the key {key!r} belongs to user root, "
                "and only root can read, replace or remove it; choose another key with --key, or ask root "
                "to share it"), args
            assert "lock" not in result.stderr
        listed = run("list")
        assert listed.returncode == 0
        # root's share is not nobody's to list (other programs of nobody's on this machine may be).
        assert key not in listed.stdout
        assert all(f"segment {ident}," not in listed.stdout for _, ident in objects_of(key))
        assert listed.stdout.strip().endswith("of user nobody; other users' shares are not listed") or \
            listed.stdout.strip().endswith("of user nobody; other users' shares are not listed)")
        image, info = Receiver(key).receive()
        assert digest(image) == digest(original) and info.sequence == 1


def test_root_removing_nobodys_share_says_whose_it_was(as_nobody, key):  # noqa: F811
    run, home = as_nobody
    make_image("L", (12, 9)).save(home / "out" / "mine.png")
    shared = run("send", "out/mine.png", "--key", key, "--persist")
    assert shared.returncode == 0, shared.stderr
    assert objects_of(key)  # nobody's segment and semaphore
    result = run_cli("remove", "--key", key)
    assert result.returncode == 0, result.stderr
    # Another user's share is never read (docs/protocol.md §4.2): root removes it without describing it.
    assert result.stdout.strip() == f"removed the share under key {key!r}, which belonged to user nobody"
    assert objects_of(key) == []


def test_a_folder_nobody_cannot_write_is_one_sentence(as_nobody, key):  # noqa: F811
    run, home = as_nobody
    make_image("RGB", (6, 6)).save(home / "out" / "small.png")
    assert run("send", "out/small.png", "--key", key, "--persist").returncode == 0
    try:
        result = run("receive", "--key", key, "-o", "x.png")  # into the fixture's folder, root's 0755
        assert result.returncode == 1
        assert result.stderr.strip() == ("imgshare: error: cannot write x.png: the folder . is not writable "
                                         "(permission denied)")
        assert not (home / "x.png").exists()
    finally:
        assert run("remove", "--key", key).returncode == 0


def test_following_or_waiting_for_roots_share_as_nobody_is_refused_at_once(as_nobody, key):  # noqa: F811
    run, home = as_nobody
    with Sender(key) as sender:
        sender.share(make_image("L", (20, 10)))
        for args in (["receive", "--follow", "-o", "out/frames/", "--wait", "30"],
                     ["receive", "--follow", "--wait", "30"], ["receive", "--follow"],
                     ["receive", "--wait", "30"]):
            result = run(*args, "--key", key)  # would wait forever (or 30 s, then exit 5) before the fix
            assert result.returncode == 6, (args, result.stderr)
            assert result.stderr.strip() == (
                f"imgshare: error: permission denied: the share under the key {key!r} belongs to user root, "
                "and only root can read, replace or remove it; choose another key with --key, or ask root "
                "to share it"), args
            assert not (home / "out" / "frames").exists()  # no folder made for images that cannot come
