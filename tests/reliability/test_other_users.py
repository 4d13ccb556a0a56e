"""Guarantee: another user can neither read, replace, remove nor clean this user's share (exit 6 or
left alone), and nothing changes. The other user is `nobody`, running the system Python on a copy of
the project and its dependencies that it can read."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import PIL
import pytest
import sysv_ipc
import xxhash

from imgshare.ipc import Receiver, Sender
from tests.conftest import ROOT
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def as_nobody():
    if os.getuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON):
        pytest.fail("this test needs root, setpriv and /usr/bin/python3 (scripts/bootstrap installs them)")
    home = Path(tempfile.mkdtemp(prefix="imgshare-other-user-"))
    try:  # removed even when setting up fails
        os.chmod(home, 0o755)
        shutil.copytree(ROOT / "app", home / "imgshare", ignore=shutil.ignore_patterns("__pycache__"))
        site = Path(PIL.__file__).parent.parent
        for module in (PIL, xxhash):
            shutil.copytree(Path(module.__file__).parent, home / Path(module.__file__).parent.name)
        for libs in site.glob("*.libs"):  # the wheels' bundled shared libraries (libtiff, ...)
            shutil.copytree(libs, home / libs.name)
        shutil.copy(sysv_ipc.__file__, home)
        for path in home.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        (home / "out").mkdir(mode=0o777)
        os.chmod(home / "out", 0o777)

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   SYSTEM_PYTHON, "-m", "imgshare", *args], capture_output=True, text=True,
                                  cwd=home, env={"PATH": "/usr/bin:/bin", "HOME": str(home / "out"),
                                                 "PYTHONPATH": str(home)}, timeout=60)
        probe = run("key", "169254")
        assert probe.returncode == 0, probe.stderr
        yield run, home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_other_user_cannot_touch_the_share(as_nobody, key):
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
