"""Where `imgshare receive` writes: checked before anything is received, each problem one sentence.

The choices (README, "Command line"):
- `-o FILE` writes FILE, in the format its extension names; an existing FILE is refused without --force.
- `-o FOLDER` (an existing folder, or a name ending in /) writes into it under the image's source name
  (or `imgshare-SEQUENCE`), as .png (or .tif for modes PNG cannot hold).
- `--follow -o FOLDER` needs a folder (made if missing, its parent must exist); each image goes in as
  NNNNNN.png (its sequence number); a name already there gets -2, -3... unless --force.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from PIL import Image

from ..exit_codes import UsageError
from ..imaging import lossless_extension
from ..ipc import ImageError
from ..ipc.info import ShareInfo


def _folder_problem(folder: str) -> str | None:
    """Why files cannot be written into folder, or None."""
    shown = folder or "."
    if not os.path.exists(folder or "."):
        return f"the folder {shown} does not exist"
    if not os.path.isdir(folder or "."):
        return f"{shown} is a file, not a folder"
    if not os.access(folder or ".", os.W_OK | os.X_OK):
        return f"the folder {shown} is not writable (permission denied)"
    return None


def _is_folder_name(output: str) -> bool:
    return output.endswith(os.sep) or os.path.isdir(output)


def single_output(output: str, info: ShareInfo, mode: str, *, force: bool) -> str:
    """The file to write for `receive -o OUTPUT` (ImageError with one sentence if it cannot be)."""
    if _is_folder_name(output):
        problem = _folder_problem(output)
        if problem:
            raise ImageError(f"cannot write into {output}: {problem}")
        stem = os.path.splitext(os.path.basename(info.source_name))[0] if info.source_name else ""
        path = os.path.join(output, (stem or f"imgshare-{info.sequence:06d}") + lossless_extension(mode))
        return _writable(path, force)
    return output_file(output, force=force)


def output_file(path: str, *, force: bool, folder_hint: bool = True) -> str:
    """Check that an image file can be written at path, as `-o FILE` is (ImageError with one sentence):
    a known extension, an existing writable folder, no folder in the way, no existing file unless force.
    `compare --diff` follows the same rules."""
    ext = os.path.splitext(path)[1].lower()
    if not ext:
        hint = " (or end it with / to write into a folder)" if folder_hint else ""
        raise ImageError(f"cannot write {path}: the name has no extension to choose a format; "
                         f"add .png or .tif{hint}")
    Image.init()
    if ext not in Image.registered_extensions():
        raise ImageError(f"cannot write {path}: {ext} is not an image format imgshare can write; "
                         "use .png or .tif")
    problem = _folder_problem(os.path.dirname(path))
    if problem:
        raise ImageError(f"cannot write {path}: {problem}")
    return _writable(path, force)


def _writable(path: str, force: bool) -> str:
    if os.path.isdir(path):
        raise ImageError(f"cannot write {path}: a folder of that name is in the way")
    if os.path.exists(path) and not force:
        raise ImageError(f"{path} already exists; use --force to overwrite it")
    return path


@dataclass(frozen=True)
class FollowFolder:
    """The folder `receive --follow -o` writes each image into."""

    folder: str
    force: bool

    @classmethod
    def prepare(cls, output: str, *, force: bool) -> FollowFolder:
        """Check (or make) the folder before following (UsageError / ImageError with one sentence)."""
        if os.path.exists(output) and not os.path.isdir(output):
            raise UsageError(f"with --follow, -o names a folder, and {output} is a file")
        if not os.path.exists(output):
            Image.init()
            if os.path.splitext(output)[1].lower() in Image.registered_extensions():
                raise UsageError(f"with --follow, -o names a folder (each image goes in as NNNNNN.png); "
                                 f"{output} looks like a file name")
            parent = os.path.dirname(output.rstrip(os.sep))
            problem = _folder_problem(parent)
            if problem:
                raise ImageError(f"cannot make the folder {output}: {problem}")
            try:
                os.mkdir(output)
            except OSError as exc:
                raise ImageError(f"cannot make the folder {output}: {exc.strerror}") from None
            print(f"imgshare: made the folder {output}", file=sys.stderr, flush=True)
        problem = _folder_problem(output)
        if problem:
            raise ImageError(f"cannot write into {output}: {problem}")
        return cls(output, force)

    def path_for(self, sequence: int, mode: str) -> str:
        """NNNNNN.ext for this image; never an existing file's name unless force."""
        stem, ext = os.path.join(self.folder, f"{sequence:06d}"), lossless_extension(mode)
        path, n = stem + ext, 1
        while not self.force and os.path.exists(path):
            n += 1
            path = f"{stem}-{n}{ext}"
        return path
