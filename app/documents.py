"""The documents Help > Documentation opens (no Tk): the README and docs/*.md, from the source tree or,
in the frozen binary, from the copy bundled into it (packaging/imgshare.spec puts them there)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

BUNDLED = "imgshare-docs"  # the folder the binary carries them in, inside its unpacked bundle
DOCUMENTS = (("README", "README.md", "the window, the command line and the Python API"),
             ("Protocol", "docs/protocol.md", "the shared memory layout, byte by byte"),
             ("Qt mode", "docs/qt.md", "talking to unmodified Qt programs"),
             ("Reliability", "docs/RELIABILITY.md", "what happens when a program dies"))


@dataclass(frozen=True)
class Document:
    title: str
    path: Path
    about: str


def docs_folder() -> Path | None:
    """Where the documents are: the binary's bundle, else the source tree imgshare runs from."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        folder = Path(bundle) / BUNDLED
        return folder if (folder / "README.md").is_file() else None
    root = Path(__file__).resolve().parents[1]  # app/ -> the checkout
    return root if (root / "README.md").is_file() else None


def documents() -> list[Document]:
    """The documents there are, in reading order (none when imgshare was installed without them)."""
    folder = docs_folder()
    if folder is None:
        return []
    return [Document(title, folder / name, about) for title, name, about in DOCUMENTS if (folder / name).is_file()]
