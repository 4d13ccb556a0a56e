"""`imgshare list` renders every share readably: control characters escaped, long text cut with "…",
wide and combining characters aligned in terminal cells; and it says it lists only your shares."""

from __future__ import annotations

import os
import pwd

from imgshare.cli.table import fit, printable, width
from imgshare.ipc import Sender
from tests.conftest import run_cli
from tests.images import make_image


def test_table_cells_escape_cut_and_align():
    assert printable("a\nb\tc\x1b[31m\u200bd\\") == "a\\nb\\tc\\x1b[31m\\u200bd\\\\"
    assert fit("x" * 30, 20) == "x" * 19 + "…"
    assert fit("日本語のキー" * 3, 20) == "日本語のキー日本語… "  # 9 wide characters + "…" + a pad: 20 cells
    assert width(fit("日本語のキー" * 3, 20)) == 20
    assert fit("e\u0301", 4) == "e\u0301   "  # a combining accent takes no cell
    assert fit("7", 5, right=True) == "    7"


def test_list_aligns_long_wide_and_escaped_entries(new_key, tmp_path):
    keys = {  # each a prefix and a fresh random part, cleaned up after the test
        "long": new_key("a-very-long-key-name-that-goes-on"),
        "wide": new_key("日本語のキー"),
        "combining": new_key("cafe\u0301"),
        "emoji": new_key("🐍"),
    }
    senders = []
    try:
        for n, (name, key) in enumerate(keys.items()):
            sender = Sender(key)
            senders.append(sender)
            source = f"{name}\nline two\x1b.png" if name == "long" else f"{name}.png"
            sender.share(make_image("RGB", (10 + n, 10)), source_name=source)
        result = run_cli("list")
    finally:
        for sender in senders:
            sender.close()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    rows = {name: next(line for line in lines if f"{name}.png" in line or f"{name}\ufffd" in line) for name in keys}
    # The SOURCE column starts at the same cell on every row, whatever the key holds.
    start = width(header[:header.index("SOURCE")])
    for name, row in rows.items():
        source_at = row.index(name + (".png" if name != "long" else "\ufffd"))
        assert width(row[:source_at]) == start, (name, row)
    assert rows["long"].startswith("a-very-long-key-name-th… ")  # cut, and says so
    # One line: a sender replaces a source name's control characters with U+FFFD (docs/protocol.md §8.5)
    assert "long\ufffdline two\ufffd.png" in rows["long"]
    assert rows["wide"].startswith("日本語のキー-")
    user = pwd.getpwuid(os.getuid()).pw_name
    assert lines[-1].endswith(f"of user {user}; other users' shares are not listed)")


def test_numbers_are_never_cut(key):
    with Sender(key) as sender:
        sender.share(make_image("L", (12, 7)), source_name="day.png")
        sender._served.sequence = 1_234_566  # as after 1,234,566 shares (a day of video), without the wait
        sender.share(make_image("L", (12, 7)), source_name="day.png")
        result = run_cli("list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith(key[:20]))
    assert " 1234567 " in row and "…" not in row.split("day.png")[0].split(key[:20])[1]
    header = lines[0]  # the columns widened: SOURCE starts at the same cell on every row
    assert all(line.index("day.png") == header.index("SOURCE") for line in [row])
