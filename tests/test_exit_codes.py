"""Every copy of the exit-code table agrees with app/exit_codes.py: the README's tables (the command line,
compare, the C library's statuses), docs/protocol.md, the C header's imgshare_status, and the command
line's own help."""

from __future__ import annotations

import re

from imgshare import exit_codes, lifecycle
from tests.conftest import ROOT, run_cli

# The codes every implementation shares (the C library's statuses): OK to IN_USE.
SHARED = {name: getattr(exit_codes, name) for name in
          ("OK", "ERROR", "USAGE", "NOT_SHARED", "CORRUPT", "TIMED_OUT", "PERMISSION", "IN_USE")}


def section(text: str, heading: str) -> str:
    """The text under the first Markdown heading that matches the pattern heading, up to the next heading."""
    found = re.search(rf"^#{{1,6}} .*{heading}.*$", text, re.M | re.I)
    assert found is not None, heading
    following = re.search(r"^#{1,6} ", text[found.end():], re.M)
    return text[found.start():found.end() + following.start()] if following else text[found.start():]


def table_codes(text: str) -> list[int]:
    """The numbers in the first column of a Markdown table's rows."""
    return [int(code) for code in re.findall(r"^\| *(\d+) *\|", text, re.M)]


def test_the_table_itself():
    assert sorted(SHARED.values()) == list(range(8)) and exit_codes.DIFFERS == 8
    assert exit_codes.INTERRUPTED == lifecycle.INTERRUPTED == lifecycle.exit_code_of(2) == 130
    assert set(exit_codes.DESCRIPTIONS) == {*SHARED.values(), exit_codes.DIFFERS, exit_codes.INTERRUPTED}


def test_the_readmes_tables():
    readme = (ROOT / "README.md").read_text()
    cli = section(readme, "Exit codes")
    assert table_codes(cli) == sorted(exit_codes.DESCRIPTIONS)
    assert "| 128+N |" in cli and "143 for SIGTERM" in cli
    compare = section(readme, "Golden-image checks")
    assert table_codes(compare) == [exit_codes.OK, exit_codes.DIFFERS]
    c_statuses = dict(re.findall(r"^\| `IMGSHARE_([A-Z_]+)` \| (\d+) \|", section(readme, "From C and C\\+\\+"), re.M))
    assert {name: int(value) for name, value in c_statuses.items()} == SHARED


def test_the_protocol_and_the_c_header():
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    rows = table_codes(section(protocol, "(exit|status) codes"))
    assert rows == sorted(SHARED.values())
    header = (ROOT / "clients" / "c" / "imgshare.h").read_text()
    block = re.search(r"typedef enum imgshare_status \{(.*?)\} imgshare_status;", header, re.S)
    assert block is not None
    statuses = {name: int(value) for name, value in re.findall(r"\bIMGSHARE_([A-Z_]+)\s*=\s*(\d+)", block[1])}
    assert statuses == SHARED


def test_the_command_lines_help():
    help_text = run_cli("--help").stdout
    listed = [int(code) for code in re.findall(r"^ {2}(\d+) {2}", help_text.split("exit codes:", 1)[1], re.M)]
    assert listed == list(exit_codes.DESCRIPTIONS)
    compare_help = run_cli("compare", "--help").stdout
    assert f"{exit_codes.DIFFERS} differs" in " ".join(compare_help.split())
