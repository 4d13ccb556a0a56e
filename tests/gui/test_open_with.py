"""`imgshare photo.png`, `imgshare --key K` and the desktop entry's Open With: the real program opens
its window (under Xvfb) sharing the file, on the key; the installed entry is valid, says which image
types it opens (only types Pillow reads), and starting it as a desktop does (Exec with %F expanded)
shares the file."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

from PIL import Image

from imgshare.ipc import ImgShareError, Receiver
from tests.conftest import ROOT, wait_until
from tests.gui.support import env, stop, stripes
from tests.images import digest

INSTALL = ROOT / "packaging" / "linux" / "install-desktop"


def _start(*args: str) -> subprocess.Popen:
    """The real program as a user starts it: no verb, only what they typed."""
    return subprocess.Popen([sys.executable, "-m", "imgshare", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env())


def _window_named(text: str) -> list[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", text], capture_output=True,
                           text=True, timeout=20).stdout
    return found.split()


def test_an_image_file_alone_opens_the_window_sharing_it(key, tmp_path):
    picture = tmp_path / "photo.png"
    stripes((90, 60)).save(picture)
    window = _start(str(picture), "--key", key)
    try:
        image, info = wait_until(lambda: _received(key), 30, "the window's share")
        assert digest(image) == digest(Image.open(picture)) and info.source_name == "photo.png"
        assert wait_until(lambda: _window_named(f"Sharing photo.png as '{key}'"), 20, "the window's title")
        assert window.poll() is None
    finally:
        stop(window)
    assert window.returncode == 0, window.stderr.read()


def test_key_alone_opens_the_window_on_that_key(key):
    window = _start("--key", key)
    try:
        assert wait_until(lambda: _window_named(f"Sender, key '{key}'"), 30, "the window on the key")
    finally:
        stop(window)
    assert window.returncode == 0, window.stderr.read()


def _received(key: str):
    try:
        with Receiver(key) as receiver:
            return receiver.receive(timeout=5)
    except ImgShareError:  # not shared yet
        return None


def _mime_types() -> list[str]:
    entry = (ROOT / "packaging" / "linux" / "imgshare.desktop").read_text()
    line = next(line for line in entry.splitlines() if line.startswith("MimeType="))
    return [t for t in line.split("=", 1)[1].split(";") if t]


# One file name per MimeType of the entry (the freedesktop shared-mime-info type's glob).
_EXTENSION_OF = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/bmp": ".bmp", "image/tiff": ".tif",
    "image/webp": ".webp", "image/avif": ".avif", "image/jp2": ".jp2", "image/jpx": ".jpx",
    "image/x-jp2-codestream": ".j2k", "image/x-portable-anymap": ".pnm", "image/x-portable-bitmap": ".pbm",
    "image/x-portable-graymap": ".pgm", "image/x-portable-pixmap": ".ppm", "image/x-tga": ".tga",
    "image/vnd.zbrush.pcx": ".pcx", "image/vnd.microsoft.icon": ".ico", "image/x-win-bitmap": ".cur",
    "image/x-icns": ".icns", "image/x-sgi": ".sgi", "image/x-dds": ".dds", "image/vnd.adobe.photoshop": ".psd",
    "image/x-xbitmap": ".xbm", "image/x-xpixmap": ".xpm", "image/x-cmu-raster": ".ras",
}


def test_the_entry_offers_only_image_types_pillow_reads_and_the_usual_ones():
    Image.init()
    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    types = _mime_types()
    assert len(types) == len(set(types))
    for mime in types:
        assert _EXTENSION_OF[mime] in readable, mime
    assert {"image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/webp",
            "image/x-portable-pixmap"} <= set(types)


def test_open_with_runs_the_entrys_exec_line_and_shares_the_file(tmp_path):
    """As a file manager does it: install the entry for a program, expand Exec's %F with the file,
    run it. No key is given, so the window shares under the default key: run inside a private IPC
    namespace (as root), where that key is ours alone."""
    if os.getuid() != 0 or shutil.which("unshare") is None:
        raise AssertionError("this test needs root and unshare (util-linux) for a private IPC namespace")
    program = tmp_path / "my apps" / "imgshare"
    program.parent.mkdir()
    program.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m imgshare \"$@\"\n")
    program.chmod(0o755)
    data = tmp_path / "data"
    installed = subprocess.run([shutil.which("python3") or sys.executable, str(INSTALL), str(program)],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, XDG_DATA_HOME=str(data)))
    assert installed.returncode == 0, installed.stderr
    entry = data / "applications" / "imgshare.desktop"
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0 and not valid.stdout.strip(), valid.stdout + valid.stderr
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))[5:]
    picture = tmp_path / "holiday photo.png"  # a space: one argument all the same
    stripes((70, 40)).save(picture)
    command = [str(picture) if word == "%F" else word for word in shlex.split(exec_line)]
    assert command == [str(program), str(picture)]
    out = tmp_path / "received.png"
    script = (f"{shlex.join(command)} & window=$!\n"
              f"{shlex.quote(sys.executable)} -m imgshare receive --wait 60 -o {shlex.quote(str(out))}\n"
              "got=$?\nkill -TERM $window\nwait $window\nexit $got\n")
    done = subprocess.run(["unshare", "--ipc", "sh", "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert digest(Image.open(out)) == digest(Image.open(picture))


def test_of_several_files_the_first_that_opens_is_shared(key, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    picture = tmp_path / "second.png"
    stripes((30, 20)).save(picture)
    window = _start("--key", key, str(notes), str(picture))  # as Exec=imgshare %F passes a selection
    try:
        image, info = wait_until(lambda: _received(key), 30, "the window's share")
        assert digest(image) == digest(Image.open(picture)) and info.source_name == "second.png"
    finally:
        stop(window)
