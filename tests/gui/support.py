"""Helpers for GUI tests: pump the Tk loop until something holds, test images, other processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import sysv_ipc
from PIL import Image, ImageChops

from imgshare.ipc import sysv_key
from tests.conftest import ROOT
from tests.ipc_cleanup import objects_at

MAGENTA, CYAN = (255, 0, 255), (0, 255, 255)


def pump_until(app, condition, timeout: float = 15.0, what: str = "the condition"):
    """Run the Tk loop until condition() is true; fail with what was on the status bar if it never is."""
    root = app.root if hasattr(app, "root") else app
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            status = getattr(getattr(app, "status", None), "text", "?")
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; status bar: {status!r}")
        time.sleep(0.005)


def status_after(app, action, timeout: float = 15.0) -> str:
    """Do action, then wait for the next status-bar sentence that is not a progress note ('...')."""
    before = len(app.status.history)
    action()
    pump_until(app, lambda: any(not text.endswith("...") for _, _, text in app.status.history[before:])
               and not (app.sender.worker.busy or app.receiver.worker.busy), timeout, "a status sentence")
    return app.status.text


def stripes(size=(640, 480), band=40) -> Image.Image:
    """Horizontal magenta and cyan bands: easy to find again on a screenshot."""
    image = Image.new("RGB", size, MAGENTA)
    for y in range(band, size[1], 2 * band):
        image.paste(CYAN, (0, y, size[0], min(size[1], y + band)))
    return image


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    if a.mode != b.mode or a.size != b.size:
        return False
    if a.mode in ("I", "F", "I;16"):
        return a.tobytes() == b.tobytes()
    return ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None


@contextmanager
def foreign_segment(key: str, size: int = 3333):
    """Another program's segment at key (non-magic bytes), removed by id afterwards."""
    shm = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, size=size, mode=0o600)
    shm.write(b"NOT-IMGSHARE-" * (size // 13))
    try:
        yield shm
    finally:
        shm.detach()
        sysv_ipc.remove_shared_memory(shm.id)


HOLD_LOCK = """
import sys, time
from imgshare.ipc import sysv_key
from imgshare.ipc.sysv import libc
k = sysv_key(sys.argv[1])
try:
    semid = libc.semget(k, 8, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)  # a set of imgshare's size
except OSError:
    semid = libc.semget(k, 0, 0)
assert libc.semop(semid, [(0, 0, 0), (0, 1, libc.SEM_UNDO)], 30.0) == 0  # the owner semaphore, as a remover
print("held", flush=True)
time.sleep(120)
"""


@contextmanager
def lock_held_elsewhere(key: str):
    """Another process, not a sender, holds the key's owner semaphore (making the key's semaphore set if
    needed) until the block ends: senders wait for it and give up after their timeout; readers take no
    lock and are not held up."""
    holder = start_python(HOLD_LOCK, key)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        yield holder
    finally:
        stop(holder)


def ipc_objects(key: str) -> list[tuple[str, int]]:
    return objects_at(sysv_key(key))


def env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def start_python(code: str, *args: str) -> subprocess.Popen:
    """A helper Python process (prints a first line when ready)."""
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env())


def start_gui(*args: str) -> subprocess.Popen:
    """The real program's window in its own process: python -m imgshare gui ..."""
    return subprocess.Popen([sys.executable, "-m", "imgshare", "gui", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env())


def start_peer(*args: str) -> subprocess.Popen:
    """tests/gui/peer.py in the background (send: it serves until SIGTERM)."""
    return subprocess.Popen([sys.executable, str(Path(__file__).with_name("peer.py")), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env())


def run_peer(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """tests/gui/peer.py: a second app instance in another process, driven through its widgets."""
    return subprocess.run([sys.executable, str(Path(__file__).with_name("peer.py")), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env())


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def record_threads(monkeypatch, *targets: tuple[object, str]) -> dict[str, list[bool]]:
    """Wrap each target (a module or class, and the name of a function or method on it) so that every
    call records whether it ran on the Tk (main) thread: {"module.name": [on the Tk thread, ...]}.

    How the tests prove that slow work runs off the Tk thread without timing the loop (a loaded machine
    stalls any loop; the stalls are measured in bench/gui_big_image.py and bench/gui_zoom.py)."""
    import threading
    calls: dict[str, list[bool]] = {}
    for owner, name in targets:
        real = getattr(owner, name)
        label = f"{getattr(owner, '__name__', owner)}.{name}"
        calls[label] = []

        def wrapper(*args, _real=real, _label=label, **kwargs):
            calls[_label].append(threading.current_thread() is threading.main_thread())
            return _real(*args, **kwargs)
        monkeypatch.setattr(owner, name, wrapper)
    return calls


def ran_off_the_tk_thread(calls: dict[str, list[bool]]) -> None:
    """Assert that every recorded target ran, and never on the Tk thread."""
    assert all(calls.values()), f"never called: {[name for name, seen in calls.items() if not seen]}"
    on_tk = [name for name, seen in calls.items() if any(seen)]
    assert not on_tk, f"ran on the Tk thread: {on_tk}"
