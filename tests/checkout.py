"""A copy of this checkout as a fresh clone has it, for tests that install or set it up from scratch."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_of_the_checkout(target: Path, untracked: bool = False) -> Path:
    """Copy the files git tracks (and, with untracked, the new files git does not ignore) into target.
    Symlinks stay symlinks, as git checks them out: .package/imgshare -> ../app is how the package is
    found. A developer's build/, .venv or caches never come along."""
    listing = ["git", "ls-files", "-z"] + (["-co", "--exclude-standard"] if untracked else [])
    names = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source, copy = ROOT / name, target / name
        if source.is_symlink():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.symlink_to(os.readlink(source))
        elif source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    return target
