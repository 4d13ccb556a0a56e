"""Images to and from the system clipboard (no Tk): xclip on X11, wl-clipboard on Wayland.

Tk's own clipboard carries text only, so images go through those programs; where none is available,
or the platform is not Linux, ClipboardError says so in one sentence the status bar can show.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from PIL import Image

from ...imaging import LOSSLESS_PNG_MODES

TIMEOUT = 10.0
T = TypeVar("T")


class ClipboardError(Exception):
    """The clipboard cannot give or take an image here; the message says why and what to do."""


def _tools() -> tuple[list[str], list[str], list[str]]:
    """(list types, read type T, write type T) commands for this session, or ClipboardError."""
    if not sys.platform.startswith("linux"):
        raise ClipboardError(f"image copy and paste are not supported on {sys.platform} yet; "
                             "open or save a file instead")
    if os.environ.get("WAYLAND_DISPLAY"):
        if shutil.which("wl-paste") and shutil.which("wl-copy"):
            return ["wl-paste", "--list-types"], ["wl-paste", "--type"], ["wl-copy", "--type"]
        raise ClipboardError("image copy and paste need wl-clipboard, which is not installed "
                             "(install the wl-clipboard package); use a file instead")
    if not os.environ.get("DISPLAY"):
        raise ClipboardError("there is no display clipboard in this session; use a file instead")
    if shutil.which("xclip"):
        base = ["xclip", "-selection", "clipboard"]
        return [*base, "-t", "TARGETS", "-o"], [*base, "-o", "-t"], [*base, "-i", "-t"]
    raise ClipboardError("image copy and paste need the xclip program, which is not installed "
                         "(install the xclip package); use a file instead")


def paste() -> Image.Image | list[str]:
    """The clipboard's image, or the file paths it holds (files copied in a file manager)."""
    return _guarded(_paste)


def copy(image: Image.Image) -> None:
    """Put image on the clipboard as PNG (its mode must be one PNG holds: LOSSLESS_PNG_MODES)."""
    _guarded(_copy, image)


def _guarded(func: Callable[..., T], *args: Any) -> T:
    try:
        return func(*args)
    except subprocess.TimeoutExpired as exc:
        raise ClipboardError(f"the clipboard did not answer within {TIMEOUT:g} s ({exc.cmd[0]})") from None
    except OSError as exc:
        raise ClipboardError(f"the clipboard program failed to run ({exc.strerror or exc})") from None


def _paste() -> Image.Image | list[str]:
    list_cmd, read_cmd, _ = _tools()
    listed = subprocess.run(list_cmd, capture_output=True, timeout=TIMEOUT)
    types = listed.stdout.decode("utf-8", "replace").split() if listed.returncode == 0 else []
    images = [t for t in types if t.startswith("image/")]
    if images:
        chosen = "image/png" if "image/png" in images else images[0]
        data = subprocess.run([*read_cmd, chosen], capture_output=True, timeout=TIMEOUT).stdout
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except Exception:
            raise ClipboardError(f"the clipboard's {chosen} image could not be decoded") from None
        return image
    if "text/uri-list" in types:
        text = subprocess.run([*read_cmd, "text/uri-list"], capture_output=True, timeout=TIMEOUT).stdout
        paths = uri_list_paths(text.decode("utf-8", "replace"))
        if paths:
            return paths
    raise ClipboardError("the clipboard holds no image; copy an image (or an image file) first")


def uri_list_paths(text: str) -> list[str]:
    """Local file paths from a text/uri-list (comments and non-file URIs are skipped)."""
    paths = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parsed = urlparse(line)
        if parsed.scheme == "file":
            paths.append(unquote(parsed.path))
        elif not parsed.scheme and line.startswith("/"):
            paths.append(line)
    return paths


def _copy(image: Image.Image) -> None:
    if image.mode not in LOSSLESS_PNG_MODES:
        raise ValueError(f"PNG cannot hold mode {image.mode}: make a display copy first")
    _, _, write_cmd = _tools()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    # The tool forks and keeps serving the clipboard; it must not inherit pipes we would wait on.
    result = subprocess.run([*write_cmd, "image/png"], input=buffer.getvalue(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=TIMEOUT)
    if result.returncode != 0:
        raise ClipboardError(f"{write_cmd[0]} could not take the image (exit code {result.returncode})")
