"""A plain `pip install .` into a fresh venv works, with the registry's sysv_ipc wheel (no native
semaphore timeouts): the console script runs, and a held lock still gives exit 5 in time."""

import os
import subprocess
import time
import venv
from pathlib import Path

import pytest

from imgshare.ipc import Sender
from tests.checkout import copy_of_the_checkout
from tests.images import make_image
from tests.test_lifecycle import lock_held_elsewhere


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    # From the files git tracks, as a fresh clone has them: a developer's build/ (setuptools reuses
    # build/lib) or caches must not decide what this test sees installed.
    source = copy_of_the_checkout(tmp_path_factory.mktemp("source"))
    target = tmp_path_factory.mktemp("venv")
    venv.create(target, with_pip=True)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, str(source)], check=True, timeout=600, capture_output=True)
    return target


def test_plain_install_runs_and_gives_up_in_time_on_a_held_key(installed, key, tmp_path):
    py = str(installed / "bin" / "python")
    probe = subprocess.run([py, "-c", "import sysv_ipc; print(sysv_ipc.SEMAPHORE_TIMEOUT_SUPPORTED)"],
                           capture_output=True, text=True, cwd=tmp_path)
    print("registry wheel has semaphore timeouts:", probe.stdout.strip())
    imgshare = str(installed / "bin" / "imgshare")
    assert subprocess.run([imgshare, "key", "169254"], capture_output=True, text=True,
                          cwd=tmp_path).stdout.split() == ["1699187442", "0x65478af2"]
    with Sender(key) as sender:
        sender.share(make_image("RGB"))
        sender.close(persist=True)
    make_image("L").save(tmp_path / "next.png")
    with lock_held_elsewhere(key):  # a process that is not a sender holds the key's owner semaphore
        started = time.monotonic()
        result = subprocess.run([imgshare, "send", str(tmp_path / "next.png"), "--key", key, "--timeout", "1"],
                                capture_output=True, text=True, cwd=tmp_path, timeout=30)
        assert result.returncode == 5 and "stayed busy for 1 s" in result.stderr, result.stderr
        assert time.monotonic() - started >= 1  # it waited for its timeout (the subprocess's own bounds a hang)
        out = tmp_path / "got.png"  # readers take no lock
        result = subprocess.run([imgshare, "receive", "--key", key, "-o", str(out)], capture_output=True,
                                text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
        assert result.returncode == 0, result.stderr
    assert subprocess.run([imgshare, "remove", "--key", key], capture_output=True).returncode == 0


def test_installs_as_imgshare_with_no_top_level_app(installed, tmp_path):
    py = str(installed / "bin" / "python")
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert (Path(site) / "imgshare" / "ipc").is_dir()
    assert not (Path(site) / "app").exists()
    code = ("import imgshare; from imgshare import Sender, Receiver; "
            "import importlib.util as u; assert u.find_spec('app') is None; print(imgshare.__version__)")
    result = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    version = result.stdout.strip()
    for command in ([py, "-m", "imgshare", "--version"], [str(installed / "bin" / "imgshare"), "--version"]):
        result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0 and result.stdout.strip() == f"imgshare {version}", result
