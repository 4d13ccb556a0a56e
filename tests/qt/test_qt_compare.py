"""`imgshare compare --qt` against a real Qt program sharing an image: exit 0 when it is the expected one,
8 with the count when a pixel differs."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.qt.images import SIZE, make


def test_compare_a_qt_share_with_the_expected_file(qt_env):
    sent = make("RGB")
    sent.save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    exact = run_cli("compare", "--qt", "--key", qt_env.key, str(qt_env.tmp / "in.png"))
    changed = sent.copy()
    r, g, b = sent.getpixel((2, 3))
    changed.putpixel((2, 3), (r ^ 16, g, b))
    changed.save(qt_env.tmp / "changed.png")
    differs = run_cli("compare", "--qt", "--key", qt_env.key, str(qt_env.tmp / "changed.png"))
    qt_env.finish(sender)
    qt_env.assert_clean()
    assert exact.returncode == 0, exact.stderr
    assert exact.stdout.startswith(f"pixel-exact: {SIZE[0]}x{SIZE[1]} RGB")
    assert differs.returncode == 8, differs.stderr
    assert differs.stdout.startswith(f"differs: 1 of {SIZE[0] * SIZE[1]} pixels") and "R 16, G 0, B 0" in differs.stdout
