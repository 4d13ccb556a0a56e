"""Guarantee: another user can neither read, replace, remove nor clean this user's share (exit 6 or
left alone), and nothing changes. The other user is `nobody`, running the system Python on a copy of
the project and its dependencies that it can read."""

import pytest

from imgshare.ipc import Receiver, Sender
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of
from tests.nobody import Nobody

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def as_nobody():
    """(run, home): run(*args) runs imgshare as nobody in home, which nobody reads (home/out it writes);
    run.python(code, *args) starts Python code as nobody (tests/nobody.py)."""
    try:
        nobody = Nobody()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        probe = nobody.run("key", "169254")
        assert probe.returncode == 0, probe.stderr
        yield nobody, nobody.home
    finally:
        nobody.remove()


def test_other_user_cannot_touch_the_share(private_ipc, as_nobody, key):
    """In a private IPC namespace: nobody's `clean` would otherwise meet nobody's stale shares elsewhere."""
    run, home = as_nobody
    original = make_image("RGB", (120, 90))
    (home / "out" / "theirs.png").write_bytes(b"")
    make_image("L", (10, 10)).save(home / "out" / "theirs.png")
    with Sender(key) as sender:
        sender.share(original)
        before = sorted(objects_of(key))
        for args, expected in ((["receive"], 6), (["info"], 6), (["remove"], 6),
                               (["remove", "--force"], 6), (["send", "out/theirs.png"], 6)):
            result = run(*args, "--key", key)
            assert result.returncode == expected, (args, result.returncode, result.stderr)
            assert result.stderr.startswith("imgshare: error:") and "Traceback" not in result.stderr
            assert "permission denied" in result.stderr
        assert run("clean").returncode == 0
        assert key not in run("list").stdout  # another user's shares are not listed
        assert sorted(objects_of(key)) == before
        image, info = Receiver(key).receive()
        assert digest(image) == digest(original) and info.sequence == 1
