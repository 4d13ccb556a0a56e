"""`imgshare self-test`: checks this build end to end, one line per check.

Every carried mode goes through a real segment under a fresh random key and is read back by a child
process of this same program (the frozen binary itself, or `python -m imgshare` from source); then Tcl, Tk
and Pillow's Tk bridge are loaded. Everything made under the key is removed at the end.
"""

from __future__ import annotations

import importlib.util
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import PIL
import sysv_ipc
from PIL import Image

from . import __version__
from .image16 import Image16
from .ipc import Sender, sysv_key
from .ipc.layout.modes import CARRIED_MODES, WIDE_MODES
from .ipc.sysv.procfs import shmid_at
from .relaunch import this_program

SIZE = (37, 23)  # not a power of two, and odd, so row padding and stride bugs show
_BYTES_PER_PIXEL = {"1": 1 / 8, "L": 1, "LA": 2, "P": 1, "RGB": 3, "RGBA": 4, "I;16": 2, "I": 4}


def sample_image(mode: str, size: tuple[int, int] = SIZE, seed: int = 0) -> Image.Image | Image16:
    """A deterministic image of a carried mode whose pixels cover the mode's whole range."""
    rng = random.Random(f"{mode}/{size}/{seed}")
    width, height = size
    if mode in WIDE_MODES:  # 16 bits a channel: Pillow has no mode for them
        return Image16(mode, size, rng.randbytes(width * height * (3 if mode == "RGB;16" else 4) * 2))
    if mode == "F":  # finite floats, negative, tiny and huge, so nothing depends on NaN bit patterns
        image = Image.new("F", size)
        image.putdata([rng.choice((-1, 1)) * rng.random() * 10 ** rng.randint(-30, 30)
                       for _ in range(width * height)])
        return image
    row = (width + 7) // 8 if mode == "1" else width * _BYTES_PER_PIXEL[mode]
    image = Image.frombytes(mode, size, rng.randbytes(int(row) * height))
    if mode == "P":
        image.putpalette(rng.randbytes(768))
        image.info["transparency"] = 7
    return image


def same_image(expected: Image.Image | Image16, got: Image.Image | Image16) -> str:
    """'' when got is expected pixel for pixel (and palette and transparency), else what differs."""
    if (got.mode, got.size) != (expected.mode, expected.size):
        return f"got {got.size[0]}x{got.size[1]} {got.mode}, expected " \
               f"{expected.size[0]}x{expected.size[1]} {expected.mode}"
    if got.tobytes() != expected.tobytes():
        return "pixels differ"
    if expected.mode == "P" and isinstance(got, Image.Image) and isinstance(expected, Image.Image):
        if got.getpalette() != expected.getpalette():
            return "palette differs"
        if got.info.get("transparency") != expected.info.get("transparency"):
            return f"transparency {got.info.get('transparency')!r}, expected {expected.info['transparency']!r}"
    return ""


def _child_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=root + (os.pathsep + path if path else ""))


def check_mode(sender: Sender, mode: str, folder: Path) -> str:
    """Share a sample of mode, receive it in a child process into a file, and compare the pixels."""
    expected = sample_image(mode)
    sequence = sender.share(expected, source_name=f"self-test {mode}")
    out = folder / f"{mode.replace(';', '_')}.{'tif' if mode in ('I', 'F') else 'png'}"
    child = subprocess.run([*this_program(), "receive", "--key", sender.key, "-o", str(out)],
                           capture_output=True, text=True, timeout=60, env=_child_env())
    if child.returncode != 0:
        raise RuntimeError(f"the child exited {child.returncode}: {child.stderr.strip()[-300:]}")
    if mode in WIDE_MODES:
        difference = same_image(expected, Image16.open(out))
    else:
        with Image.open(out) as got:
            got.load()
            difference = same_image(expected, got)
    if difference:
        raise RuntimeError(f"{out.name}: {difference}")
    return f"{SIZE[0]}x{SIZE[1]}, sequence {sequence}, read back by a child into {out.suffix}, exact"


def check_tcl() -> str:
    import tkinter
    tcl = tkinter.Tcl()
    return f"Tcl {tcl.eval('info patchlevel')} interpreter runs; Tk {tkinter.TkVersion}"


def check_tk_window() -> str:
    """Open a real Tk window showing a PhotoImage made by PIL.ImageTk, and read a pixel back from Tk."""
    import tkinter

    from PIL import ImageTk
    root = tkinter.Tk()
    try:
        root.title("imgshare self-test")
        image = sample_image("RGB", (64, 48))
        assert isinstance(image, Image.Image)
        photo = ImageTk.PhotoImage(image)
        tkinter.Label(root, image=photo).pack()
        root.update()
        deadline = time.monotonic() + 5
        while not root.winfo_ismapped() and time.monotonic() < deadline:
            root.update()
            time.sleep(0.01)
        got = root.tk.call(photo, "get", 5, 3)  # a tuple, or "r g b" from older Tk bindings
        got = tuple(int(v) for v in (got.split() if isinstance(got, str) else got))
        if got != image.getpixel((5, 3)):
            raise RuntimeError(f"Tk shows pixel {got}, Pillow has {image.getpixel((5, 3))}")
        if not root.winfo_ismapped():
            raise RuntimeError("the window did not appear within 5 s")
        return f"window shown, PIL.ImageTk.PhotoImage {photo.width()}x{photo.height()}, pixels match"
    finally:
        root.destroy()


def check_app_window(folder: Path) -> str:
    """Build the real window (theme, icon, menus, both tabs) on a private key and settings folder, wait
    until it is on screen, and close it: the frozen build carries everything the window needs."""
    import tkinter
    from tkinter import ttk

    from .views.widgets import theme
    from .views.window.app import build_app
    os.environ["XDG_CONFIG_HOME"] = str(folder)  # this process only; the user's settings stay as they are
    root = tkinter.Tk(className="imgshare")
    app = None
    try:
        app = build_app(root, key=f"self-test-{secrets.token_hex(8)}")
        deadline = time.monotonic() + 5
        while not root.winfo_ismapped() and time.monotonic() < deadline:
            root.update()
            time.sleep(0.01)
        if not root.winfo_ismapped():
            raise RuntimeError("the window did not appear within 5 s")
        if not app._icons:
            raise RuntimeError("the window has no icon (its image file is missing from the build)")
        if str(ttk.Style(root).theme_use()) not in theme.THEME_NAMES.values():  # Tk's grey default
            raise RuntimeError("the window shows Tk's default theme")
        tabs = [str(root.tk.call(app.notebook, "tab", tab, "-text")) for tab in (app.sender, app.receiver)]
        return f"themed window with icon and tabs {', '.join(tabs)} shown and closed"
    finally:
        if app is not None:
            app.close()  # stops its workers and destroys root
        else:
            root.destroy()


class _Skipped(Exception):
    """A check that cannot run here, and why (not a failure)."""


def check_compare() -> str:
    """numpy loads and a golden-image check counts as pixelmatch does (black on white differs at 0.1)."""
    from .golden import compare
    if not getattr(sys, "frozen", False) and importlib.util.find_spec("numpy") is None:
        raise _Skipped("numpy is not installed (pip install 'imgshare[numpy]'); the binary has it")
    expected = Image.new("RGBA", (23, 17), (255, 255, 255, 255))
    actual = expected.copy()
    actual.putpixel((5, 6), (0, 0, 0, 255))
    result = compare(actual, expected, threshold=0.1, antialiasing=True, metrics=True)
    if result.differing != 1 or result.ssim is None or not 0 < result.ssim < 1:
        raise AssertionError(f"expected 1 differing pixel and an SSIM below 1, got {result.summary()}")
    return f"numpy loads; {result.summary()}"


def _leftovers(sysv: int) -> list[str]:
    """The segment and the semaphore still at a System V key, as "shm ID" / "sem ID"."""
    found = []
    shmid = shmid_at(sysv)
    if shmid is not None:
        found.append(f"shm {shmid}")
    try:
        found.append(f"sem {sysv_ipc.Semaphore(sysv).id}")
    except sysv_ipc.ExistentialError:
        pass
    return found


def run_self_test(require_display: bool = False) -> int:
    """Run every check, print `ok  `/`FAIL`/`skip` and a name per line; 0 when nothing failed. Without a
    display the window is not checked, and the last line says so ("passed, window not checked"); with
    require_display that is a failure."""
    failures = 0
    window_checked = False

    def report(name: str, check: Callable[..., str], *args: object) -> None:
        nonlocal failures
        try:
            detail = check(*args)
        except _Skipped as skipped:
            print(f"skip {name}: {skipped}", flush=True)
            return
        except Exception as exc:  # a check failing is the result, not a crash
            failures += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        else:
            print(f"ok   {name}: {detail}", flush=True)

    key = f"self-test-{secrets.token_hex(8)}"
    how = "frozen binary" if getattr(sys, "frozen", False) else "source tree"
    print(f"imgshare {__version__} self-test ({how}, Python {sys.version.split()[0]}, Pillow {PIL.__version__}), "
          f"key {key!r}", flush=True)
    with tempfile.TemporaryDirectory(prefix="imgshare-self-test-") as folder:
        sender = Sender(key)
        try:
            for mode in sorted(CARRIED_MODES):
                report(f"mode {mode} through a segment and a child process", check_mode,
                       sender, mode, Path(folder))
        finally:
            sender.close()
    report("golden-image compare", check_compare)
    report("tkinter and Tcl load", check_tcl)
    if os.environ.get("DISPLAY"):  # Tk draws through X (XWayland sets DISPLAY too)
        report("Tk window and PIL.ImageTk", check_tk_window)
        with tempfile.TemporaryDirectory(prefix="imgshare-self-test-") as folder:
            report("the themed window", check_app_window, Path(folder))
        window_checked = True
    elif require_display:
        failures += 1
        print("FAIL Tk window and PIL.ImageTk: no display (DISPLAY is not set), and --require-display "
              "asks for the window to be checked", flush=True)
    else:
        print("skip Tk window and PIL.ImageTk: no display (DISPLAY is not set)", flush=True)
    left = _leftovers(sysv_key(key))
    if left:
        failures += 1
        print(f"FAIL nothing left under the key: {', '.join(left)} remain", flush=True)
    else:
        print("ok   nothing left under the key: segment and semaphore removed", flush=True)
    if failures:
        print(f"self-test FAILED: {failures} check(s)", flush=True)
    else:
        print("self-test passed" if window_checked else "self-test passed, window not checked (no display; "
              "--require-display makes that a failure)", flush=True)
    return 0 if not failures else 1
