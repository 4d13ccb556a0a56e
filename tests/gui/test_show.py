"""imgshare.show(image, "name") from a real script under Xvfb: it starts one window that follows the key
(`imgshare gui --receive --follow`), later calls update what that window shows, a window that already
follows the key is used rather than a second one, and the share goes when the script ends or gets
SIGTERM (the window stays, showing the last image). Without a display it shares and warns."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from PIL import ImageGrab

from imgshare.ipc import ImgShareError, NotSharedError, Receiver
from imgshare.window_follows import window_follows
from tests.conftest import ROOT, wait_until
from tests.gui.support import CYAN, MAGENTA, start_gui, stop
from tests.test_window_follows import runtime  # noqa: F401  (a fixture: a private XDG_RUNTIME_DIR)

SCRIPT = """
import sys
from PIL import Image
import imgshare
key = sys.argv[1]
for colour in [(255, 0, 255), (0, 255, 255)]:
    sequence = imgshare.show(Image.new("RGB", (160, 120), colour), key)
    print("shown", sequence, flush=True)
    if not sys.stdin.readline():
        break
"""


def _script(key: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def _windows(key: str) -> list[str]:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"Following '{key}'"],
                           capture_output=True, text=True, timeout=20).stdout
    return found.split()


def _window_processes(key: str) -> list[int]:
    """The processes running `imgshare gui --receive --follow --key KEY` (the key is this test's own,
    random: no one else's process has it). Tk sets no _NET_WM_PID, so the window cannot name its pid."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline") as f:
                words = f.read().split("\0")
        except OSError:
            continue
        if entry.isdigit() and words[-6:-1] == ["gui", "--receive", "--follow", "--key", key]:
            found.append(int(entry))
    return found


def _shows(window: str, colour: tuple[int, int, int]) -> bool:
    geometry = dict(line.split("=") for line in subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", window], capture_output=True, text=True, timeout=20,
        check=True).stdout.split())
    x, y, w, h = (int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    shot = ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ["DISPLAY"]).convert("RGB")
    return any(c == colour for _, c in shot.getcolors(w * h) or [])


def _shared(key: str) -> bool:
    try:
        with Receiver(key) as receiver:
            receiver.info()
    except NotSharedError:
        return False
    except ImgShareError:
        return True
    return True


def _stop_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1]
               .split()[0] == "Z", 20, "the window to stop")


def test_show_starts_one_window_that_follows_and_later_calls_update_it(runtime, key):  # noqa: F811
    script = _script(key)
    window_pid = None
    try:
        assert script.stdout.readline().strip() == "shown 1", script.stderr.read()
        (window,) = wait_until(lambda: _windows(key), 60, "the window show() starts")
        (window_pid,) = _window_processes(key)  # `imgshare gui --receive --follow --key KEY`, one
        wait_until(lambda: window_follows(key), 30, "the window to mark that it follows the key")
        wait_until(lambda: _shows(window, MAGENTA), 30, "the first image in the window")
        script.stdin.write("\n")
        script.stdin.flush()
        assert script.stdout.readline().strip() == "shown 2"
        wait_until(lambda: _shows(window, CYAN) and not _shows(window, MAGENTA), 30, "the second image")
        assert _windows(key) == [window]  # the same window, not a second one
        script.stdin.close()  # the script ends: its share goes, the window stays with the last image
        assert script.wait(30) == 0, script.stderr.read()
        wait_until(lambda: not _shared(key), 20, "the share to be removed at exit")
        assert _window_processes(key) == [window_pid] and _shows(window, CYAN)
        again = _script(key)  # a later script: the window that follows the key is used
        assert again.stdout.readline().strip() == "shown 1", again.stderr.read()
        wait_until(lambda: _shows(window, MAGENTA), 30, "the new script's image in the old window")
        assert _windows(key) == [window] and _window_processes(key) == [window_pid]
        again.stdin.close()
        assert again.wait(30) == 0, again.stderr.read()
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
        if window_pid is not None:
            _stop_pid(window_pid)
    assert list(runtime.iterdir()) == []  # the window let go of its mark as it closed


def test_a_window_already_following_the_key_is_used(runtime, key):  # noqa: F811
    own = start_gui("--receive", "--follow", "--key", key)
    try:
        wait_until(lambda: window_follows(key), 60, "the window to follow the key")
        script = _script(key)
        assert script.stdout.readline().strip() == "shown 1", script.stderr.read()
        (window,) = wait_until(lambda: _windows(key), 30, "the window's title")
        assert _window_processes(key) == [own.pid]  # no second window was started
        wait_until(lambda: _shows(window, MAGENTA), 30, "the image in the window already open")
        script.send_signal(signal.SIGTERM)  # as `kill` or `docker stop` would: the share still goes
        assert script.wait(30) == -signal.SIGTERM
        wait_until(lambda: not _shared(key), 20, "the share to be removed on SIGTERM")
        assert _windows(key) == [window]
    finally:
        stop(own)


def test_without_a_display_it_shares_and_warns(runtime, key):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    script = subprocess.Popen([sys.executable, "-c", SCRIPT, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)})
    try:
        assert script.stdout.readline().strip() == "shown 1"
        assert _shared(key)
        script.stdin.close()
        assert script.wait(30) == 0
        warning = script.stderr.read()
        assert "imgshare.show: there is no display (DISPLAY is not set), so no window follows the key" in warning
        assert warning.count("RuntimeWarning") == 1  # said once, not at every call
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    assert not _shared(key)


def test_the_readme_example_opens_a_window_per_key(runtime, new_key, tmp_path):  # noqa: F811
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Show an image from a script or a notebook", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    keys = {"preview": new_key(), "edges": new_key()}
    for name, key in keys.items():
        code = code.replace(f'"{name}"', repr(key))
    script = tmp_path / "show_example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    try:
        for key in keys.values():
            wait_until(lambda k=key: _windows(k), 60, f"the window for {key}")
            assert len(_window_processes(key)) == 1
            assert not _shared(key)  # the script ended: its shares are gone, the windows stay
    finally:
        for key in keys.values():
            for pid in _window_processes(key):
                _stop_pid(pid)
    assert list(runtime.iterdir()) == []
