"""packaging/linux/install-desktop: the *installed* menu entry is valid, names the app and its icon,
starts the given binary (even from a folder with a space), and --uninstall takes it all out again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "packaging" / "linux" / "install-desktop"


def _run(home: Path, *args: str, data_home: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    if data_home is not None:
        env["XDG_DATA_HOME"] = str(data_home)
    # The system's Python, as a user runs it: the script needs nothing but the standard library.
    return subprocess.run([shutil.which("python3") or sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, env=env, timeout=60)


def _entries(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture
def binary(tmp_path) -> Path:
    path = tmp_path / "my apps" / "imgshare"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("where", ["default", "XDG_DATA_HOME"])
def test_installed_entry_is_valid_and_starts_the_binary(tmp_path, binary, where):
    home = tmp_path / "home"
    home.mkdir()  # a fresh home: no ~/.local/share/applications yet
    data = tmp_path / "data" if where == "XDG_DATA_HOME" else None
    done = _run(home, str(binary), data_home=data)
    assert done.returncode == 0, done.stderr
    folder = data if data is not None else home / ".local" / "share"
    entry = folder / "applications" / "imgshare.desktop"
    icon = folder / "icons" / "hicolor" / "256x256" / "apps" / "imgshare.png"
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0 and not valid.stdout.strip(), valid.stdout + valid.stderr
    fields = _entries(entry)
    source = _entries(ROOT / "packaging" / "linux" / "imgshare.desktop")
    assert fields["Name"] == "imgshare" and fields["Icon"] == "imgshare"
    assert fields["Exec"] == f'"{binary}" %F' and fields["TryExec"] == str(binary)  # Open With: %F
    assert {k: v for k, v in fields.items() if k not in ("Exec", "TryExec")} == \
        {k: v for k, v in source.items() if k not in ("Exec", "TryExec")}
    assert icon.read_bytes() == (ROOT / "packaging" / "linux" / "imgshare.png").read_bytes()
    undone = _run(home, "--uninstall", data_home=data)
    assert undone.returncode == 0, undone.stderr
    assert not entry.exists() and not icon.exists()
    assert not [p for p in folder.rglob("*imgshare*")]


def test_a_missing_binary_is_refused_in_one_sentence_and_installs_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = _run(home, str(tmp_path / "nowhere" / "imgshare"))
    assert done.returncode == 1
    assert done.stderr.startswith("install-desktop: ") and done.stderr.count("\n") == 1, done.stderr
    assert not (home / ".local").exists()
