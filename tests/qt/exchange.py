"""One exchange several Qt tests check: `imgshare send --qt FILE` read by an unmodified Qt receiver."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.conftest import start_cli
from tests.qt.conftest import QtEnv
from tests.qt.images import assert_qt_dump_matches
from tests.test_roundtrip import stop, wait_for_line


def qt_receiver_gets_cli_share(qt_env: QtEnv, path: Path, sent: Image.Image) -> None:
    """Share path with `imgshare send --qt`, have the Qt peer receive it pixel-exact, stop the sender
    (exit 0), and check that nothing of the key is left."""
    sender = start_cli("send", "--qt", str(path), "--key", qt_env.key)
    try:
        assert "shared" in wait_for_line(sender)
        qt_env.note()
        result = qt_env.run("receive", qt_env.key, "out")
        assert result.returncode == 0, result.stderr
        assert_qt_dump_matches(qt_env.tmp / "out", sent)
    finally:
        stop(sender)
    assert sender.returncode == 0, sender.stderr.read() if sender.stderr else ""
    qt_env.assert_clean()
