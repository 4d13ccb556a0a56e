"""The oldest glibc a PyInstaller one-file executable runs on: the newest GLIBC_x.y version that the
launcher or any ELF file inside its archive requires (objdump -p's "Version References", which is what
the dynamic loader checks at load time). Every entry is looked at, not only those packed as binaries:
a hook may pack a shared library as data.

    python glibc_floor.py dist/imgshare          -> "2.31"
    python glibc_floor.py --why dist/imgshare    -> "2.31" and, under it, each file that needs it

Run it with an interpreter that has PyInstaller (packaging/build's venv) and with binutils installed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

from PyInstaller.archive.readers import CArchiveReader

ELF_MAGIC = b"\x7fELF"
NEEDED = re.compile(r"\bGLIBC_(\d+)\.(\d+)(?:\.(\d+))?\b")


def required_versions(path: str) -> set[tuple[int, ...]]:
    """The GLIBC_ versions the ELF file at path asks the loader for."""
    dump = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=True).stdout
    references = dump.split("Version References:", 1)[1] if "Version References:" in dump else ""
    return {tuple(int(part) for part in match if part) for match in NEEDED.findall(references)}


def floor(executable: str) -> tuple[tuple[int, ...], list[str]]:
    """(newest version required, the names of the files that require it) over the whole bundle."""
    needs: dict[str, set[tuple[int, ...]]] = {os.path.basename(executable): required_versions(executable)}
    archive = CArchiveReader(executable)
    with tempfile.TemporaryDirectory() as folder:
        for name in archive.toc:
            data = archive.extract(name)
            if not (isinstance(data, bytes) and data.startswith(ELF_MAGIC)):
                continue
            path = os.path.join(folder, "entry")
            with open(path, "wb") as f:
                f.write(data)
            needs[name] = required_versions(path)
    newest = max((version for versions in needs.values() for version in versions), default=(0, 0))
    return newest, sorted(name for name, versions in needs.items() if newest in versions)


def main() -> int:
    parser = argparse.ArgumentParser(description="The oldest glibc a one-file executable runs on.")
    parser.add_argument("executable")
    parser.add_argument("--why", action="store_true", help="also name the files that need that version")
    args = parser.parse_args()
    newest, files = floor(args.executable)
    print(".".join(str(part) for part in newest))
    if args.why:
        print("\n".join(f"  {name}" for name in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
