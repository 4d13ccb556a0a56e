"""Writing a golden image: only into a format that keeps the image exactly (a lossy golden could never
be matched pixel for pixel). The window's "Accept as expected" and the pytest plugin write through here."""

from __future__ import annotations

import os

from PIL import Image

from ..fidelity import Fidelity, format_for_extension, judge
from ..image16 import Image16
from ..imaging import save_image
from ..ipc.errors import ImageError


def write_golden(image: Image.Image | Image16, path: str | os.PathLike[str]) -> str:
    """Write image as the golden at path (ImageError with one sentence, nothing written, when the
    file's format would not keep it exactly); returns the path as a string."""
    shown = os.fspath(path)
    format_name = format_for_extension(os.path.splitext(shown)[1])
    if format_name is not None:
        verdict = judge(image.mode, format_name, transparency="transparency" in image.info)
        if verdict.fidelity is not Fidelity.EXACT:
            raise ImageError(f"cannot keep {shown} as a golden image: {verdict.shortfall()}")
    save_image(image, shown)  # an unknown or refused format: its own sentence
    return shown
