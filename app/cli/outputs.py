"""Where `imgshare receive` writes: checked before anything is received, each problem one sentence.

The choices (README, "Command line"):
- `-o FILE` writes FILE, in the format its extension names; an existing FILE is refused without --force.
- `-o FOLDER` (an existing folder, or a name ending in /) writes into it under the image's source name
  (or `imgshare-SEQUENCE`), as .png (or .tif for modes PNG cannot hold), or as --format names.
- `-o -` writes the image to standard output: PNG, or the format --format names.
- `--follow -o FOLDER` needs a folder, made when the first image arrives (its parent must exist); each
  image goes in as NNNNNN.png (its sequence number; --format for another); a name already there gets
  -2, -3... unless --force. `--follow -o -` writes each image to standard output, one after another.
What a format keeps of each mode (exact, lossy with a warning, or refused) is fidelity.py's table,
applied by imaging.save_image.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from ..exit_codes import UsageError
from ..fidelity import extension_for, format_for_extension, format_for_name, unsupported, written_formats
from ..imaging import lossless_extension
from ..ipc import ImageError
from ..ipc.info import ShareInfo
from ..oserrors import plain_reason

STDOUT = "-"
STDOUT_NAME = "standard output"


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


def chosen_format(output: str | None, format_text: str | None) -> str | None:
    """--format's Pillow name, checked against -o (UsageError when they do not go together)."""
    if format_text is None:
        return None
    if output is None:
        raise UsageError("--format goes with -o - (standard output) or -o FOLDER/")
    format_name = format_for_name(format_text)
    if format_name is None or format_name not in written_formats():
        raise UsageError(unsupported(format_name, STDOUT_NAME if output == STDOUT else output,
                                     f"--format {format_text}", as_option=True))
    if output != STDOUT and not _is_folder_name(output):
        raise UsageError(f"with -o {output}, its extension names the format; --format goes with -o - "
                         "(standard output) or -o FOLDER/")
    return format_name


def check_stdout(*, json: bool) -> None:
    """`-o -`: the image takes standard output, so it must not be a terminal and --json cannot share it."""
    if json:
        raise UsageError("-o - writes the image to standard output, so --json cannot print there too")
    if sys.stdout.isatty():
        raise UsageError("-o - writes the image to standard output, which is a terminal; pipe it into a "
                         "program (| imgshare send -) or redirect it to a file (> image.png)")


def check_single_output(output: str) -> None:
    """What can be said of `-o OUTPUT` before anything is received (ImageError with one sentence)."""
    if output == STDOUT:
        return
    if _is_folder_name(output):
        problem = _folder_problem(output)
        if problem:
            raise ImageError(f"cannot write into {output}: {problem}")
        return
    extension = os.path.splitext(output)[1]
    if not extension:
        raise ImageError(f"cannot write {output}: the name has no extension to choose a format; "
                         "add .png or .tif (or end it with / to write into a folder)")
    format_name = format_for_extension(extension)
    if format_name is None or format_name not in written_formats():
        raise ImageError(unsupported(format_name, output, extension))
    problem = _folder_problem(os.path.dirname(output))
    if problem:
        raise ImageError(f"cannot write {output}: {problem}")


def single_output(output: str, info: ShareInfo, mode: str, *, force: bool, format_name: str | None = None) -> str:
    """The file to write for `receive -o OUTPUT` (ImageError with one sentence if it cannot be)."""
    check_single_output(output)
    if _is_folder_name(output):
        stem = os.path.splitext(os.path.basename(info.source_name))[0] if info.source_name else ""
        extension = extension_for(format_name) if format_name else lossless_extension(mode)
        path = os.path.join(output, (stem or f"imgshare-{info.sequence:06d}") + extension)
    else:
        path = output
    return _writable(path, force)


def output_file(path: str, *, force: bool) -> str:
    """A file that `-o FILE`'s rules let be written (`compare --diff` follows them): a format its
    extension names, an existing writable folder, no folder in the way, no existing file unless force."""
    if path == STDOUT or _is_folder_name(path):
        raise ImageError(f"cannot write {path}: name a file, such as diff.png")
    check_single_output(path)
    return _writable(path, force)


def _writable(path: str, force: bool) -> str:
    if os.path.isdir(path):
        raise ImageError(f"cannot write {path}: a folder of that name is in the way")
    if os.path.exists(path) and not force:
        raise ImageError(f"{path} already exists; use --force to overwrite it")
    return path


@dataclass(frozen=True)
class FollowFolder:
    """The folder `receive --follow -o` writes each image into; made when the first image arrives, so
    a follow that receives nothing leaves nothing behind."""

    folder: str
    force: bool
    format_name: str | None = None

    @classmethod
    def prepare(cls, output: str, *, force: bool, format_name: str | None = None) -> FollowFolder:
        """Check the folder (or that it can be made) before following (UsageError / ImageError with
        one sentence); nothing is made yet."""
        if os.path.exists(output) and not os.path.isdir(output):
            raise UsageError(f"with --follow, -o names a folder, and {output} is a file")
        if os.path.exists(output):
            problem = _folder_problem(output)
            if problem:
                raise ImageError(f"cannot write into {output}: {problem}")
            return cls(output, force, format_name)
        if format_for_extension(os.path.splitext(output)[1]) is not None:
            raise UsageError(f"with --follow, -o names a folder (each image goes in as NNNNNN.png); "
                             f"{output} looks like a file name")
        problem = _folder_problem(os.path.dirname(output.rstrip(os.sep)))
        if problem:
            raise ImageError(f"cannot make the folder {output}: {problem}")
        return cls(output, force, format_name)

    def ensure(self) -> None:
        """Make the folder if it is not there yet (saying so on standard error)."""
        if os.path.isdir(self.folder):
            return
        try:
            os.mkdir(self.folder)
        except FileExistsError:
            if not os.path.isdir(self.folder):
                raise ImageError(f"cannot make the folder {self.folder}: a file of that name appeared") from None
            return
        except OSError as exc:
            raise ImageError(f"cannot make the folder {self.folder}: {plain_reason(exc)}") from None
        print(f"imgshare: made the folder {self.folder}", file=sys.stderr, flush=True)

    def path_for(self, sequence: int, mode: str) -> str:
        """NNNNNN.ext for this image; never an existing file's name unless force."""
        ext = extension_for(self.format_name) if self.format_name else lossless_extension(mode)
        stem = os.path.join(self.folder, f"{sequence:06d}")
        path, n = stem + ext, 1
        while not self.force and os.path.exists(path):
            n += 1
            path = f"{stem}-{n}{ext}"
        return path
