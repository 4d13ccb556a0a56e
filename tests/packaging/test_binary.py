"""The built dist/imgshare: its self-test, the same exit codes as the source tree, clean stops on
SIGTERM (and on the launcher being killed) with no `_MEI*` folder left, crash logging, the desktop file."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest
import sysv_ipc
from PIL import Image

from imgshare.ipc import sysv_key
from imgshare.ipc.layout.modes import CARRIED_MODES
from tests.conftest import ROOT, wait_until
from tests.ipc_cleanup import objects_at
from tests.packaging.conftest import program, run

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "picture.png"
    Image.new("RGB", (33, 21), (200, 100, 50)).save(path)
    return path


def test_self_test_passes_with_a_display(binary, xvfb):
    done = run([str(binary)], "self-test", "--require-display", env={"DISPLAY": xvfb}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("ok   mode ") for line in lines) == len(CARRIED_MODES), done.stdout
    assert any(line.startswith("ok   golden-image compare: numpy loads") for line in lines), done.stdout
    assert any(line.startswith("ok   Tk window and PIL.ImageTk") for line in lines), done.stdout
    # The whole window, built by the binary: its theme (not Tk's grey default) and its icon loaded.
    assert any(line.startswith("ok   the themed window: themed window with icon") for line in lines), done.stdout
    assert "frozen binary" in lines[0]
    assert not any(line.startswith("FAIL") for line in lines)


def test_self_test_without_a_display_skips_only_the_window_and_says_so(binary):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([str(binary), "self-test"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skip Tk window and PIL.ImageTk: no display" in done.stdout
    assert "ok   tkinter and Tcl load" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("self-test passed, window not checked")
    strict = subprocess.run([str(binary), "self-test", "--require-display"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "FAIL Tk window and PIL.ImageTk: no display" in strict.stdout
    assert strict.stdout.splitlines()[-1] == "self-test FAILED: 1 check(s)"


def _exit_and_error(form: str, *args: str) -> tuple[int, str]:
    done = run(program(form), *args, timeout=60)
    first_error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return done.returncode, first_error


def test_exit_codes_and_messages_match_the_source_tree(binary, new_key, picture, tmp_path):
    empty, foreign, busy = new_key(), new_key(), new_key()
    # another program's segment: random bytes, no imgshare magic
    shm = sysv_ipc.SharedMemory(sysv_key(foreign), sysv_ipc.IPC_CREX, mode=0o600, size=3333)
    shm.write(os.urandom(3333))
    shm.detach()
    owner = subprocess.Popen([str(binary), "send", str(picture), "--key", busy],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "serving" in owner.stdout.readline()
        cases = [
            (("key", "abc"), 0),
            (("--version",), 0),
            (("info", "--key", empty), 3),
            (("receive", "--key", empty), 3),
            (("receive", "--key", empty, "--wait", "0.3"), 5),
            (("info", "--key", foreign), 4),
            (("send", str(tmp_path / "missing.png"), "--key", empty), 1),
            (("send", str(picture), "--key", busy, "--persist"), 7),
            (("send",), 2),
            (("no-such-verb",), 2),
            (("key", ""), 2),
        ]
        for args, expected in cases:
            from_source = _exit_and_error("source", *args)
            from_binary = _exit_and_error("binary", *args)
            assert from_binary == from_source, f"imgshare {' '.join(args)}"
            assert from_binary[0] == expected, f"imgshare {' '.join(args)}: {from_binary}"
            if expected not in (0, 2):
                assert from_binary[1].startswith("imgshare: error: "), from_binary
        assert run([str(binary)], "key", "abc").stdout == run(program("source"), "key", "abc").stdout
    finally:
        owner.send_signal(signal.SIGTERM)
        owner.wait(20)


def _mei_dirs(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("_MEI"))


def _start_sender(binary, picture, key, tmp_path):
    """`imgshare send` from the binary, unpacking into a private TMPDIR so its _MEI folder is ours."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    sender = subprocess.Popen([str(binary), "send", str(picture), "--key", key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, TMPDIR=str(private_tmp)))
    line = sender.stdout.readline()
    assert "serving until interrupted" in line, line + sender.stderr.read()
    assert len(objects_at(sysv_key(key))) == 3  # control segment, semaphore set, the image's data segment
    assert len(_mei_dirs(private_tmp)) == 1
    return sender, private_tmp


def test_sigterm_stops_sharing_and_leaves_no_mei_folder(binary, key, picture, tmp_path):
    sender, private_tmp = _start_sender(binary, picture, key, tmp_path)
    sender.send_signal(signal.SIGTERM)  # to the launcher, which forwards it to the Python process
    assert sender.wait(20) == 0, sender.stderr.read()
    assert objects_at(sysv_key(key)) == []
    assert _mei_dirs(private_tmp) == []


def test_killed_launcher_still_stops_sharing_and_leaves_no_mei_folder(binary, key, picture, tmp_path):
    sender, private_tmp = _start_sender(binary, picture, key, tmp_path)
    children = open(f"/proc/{sender.pid}/task/{sender.pid}/children").read().split()
    assert len(children) == 1
    sender.kill()  # SIGKILL: the launcher cannot forward anything or clean up
    sender.wait(20)
    wait_until(lambda: objects_at(sysv_key(key)) == [], timeout=20, what="the killed sender's objects to go")
    wait_until(lambda: _mei_dirs(private_tmp) == [], timeout=20, what="the unpacked _MEI folder to go")


def test_runs_with_stdout_and_stderr_closed(binary):
    """A program started from a desktop may have no stdout or stderr at all."""
    for args in (("key", "abc"), ("--help",), ("info", "--key", "surely-nothing-shared-here-0")):
        done = subprocess.run([str(binary), *args], stdin=subprocess.DEVNULL, timeout=60,
                              preexec_fn=lambda: (os.close(1), os.close(2)))
        assert done.returncode in (0, 3), args


def test_gui_without_an_x_server_says_so_in_one_line(binary, tmp_path):
    done = run([str(binary)], "gui", env={"DISPLAY": ":65000", "XDG_STATE_HOME": str(tmp_path)}, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("imgshare: error: ") and done.stderr.count("\n") == 1, done.stderr


def test_sigterm_to_the_frozen_gui_stops_sharing_and_leaves_no_mei_folder(binary, xvfb, key, picture,
                                                                          tmp_path):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    gui = subprocess.Popen([str(binary), "gui", "--send", str(picture), "--key", key],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, DISPLAY=xvfb, TMPDIR=str(private_tmp),
                                    XDG_STATE_HOME=str(tmp_path)))
    try:
        wait_until(lambda: gui.poll() is not None or len(objects_at(sysv_key(key))) == 3, timeout=30,
                   what="the window to share")
        assert gui.poll() is None, gui.stderr.read() if gui.stderr else ""
        gui.send_signal(signal.SIGTERM)
        assert gui.wait(20) in (0, -signal.SIGTERM, 128 + signal.SIGTERM), gui.stderr.read()
    finally:
        if gui.poll() is None:
            gui.kill()
    assert objects_at(sysv_key(key)) == []
    assert _mei_dirs(private_tmp) == []


def test_desktop_file_is_valid_and_names_the_icon():
    desktop = ROOT / "packaging" / "linux" / "imgshare.desktop"
    done = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    entries = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert entries["Icon"] == "imgshare" and entries["Exec"].split()[0] == "imgshare"


def test_icon_is_256_pixels_and_what_make_icon_draws():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_icon", ROOT / "packaging/linux/make_icon.py")
    assert spec is not None and spec.loader is not None
    make_icon = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icon)
    with Image.open(ROOT / "packaging" / "linux" / "imgshare.png") as icon:
        assert (icon.format, icon.size, icon.mode) == ("PNG", (256, 256), "RGBA")
        assert icon.tobytes() == make_icon.make_icon().tobytes()


def test_a_sigkill_of_the_whole_binary_leaves_a_mei_folder_that_the_next_start_removes(binary, new_key,
                                                                                     picture, tmp_path):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(private_tmp))
    killed = subprocess.Popen([str(binary), "send", str(picture), "--key", new_key()], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    assert "serving until interrupted" in killed.stdout.readline()
    python = int(open(f"/proc/{killed.pid}/task/{killed.pid}/children").read().split()[0])
    stale = _mei_dirs(private_tmp)
    assert len(stale) == 1
    os.killpg(killed.pid, signal.SIGKILL)  # launcher and Python process at once: nobody can clean up
    killed.wait(20)
    wait_until(lambda: not os.path.exists(f"/proc/{python}"), timeout=20, what="the killed Python process to go")
    assert _mei_dirs(private_tmp) == stale  # left behind, 40 MB of it
    finished = subprocess.Popen(["true"])
    finished.wait()  # its pid names no process now
    foreign = private_tmp / f"_MEI{finished.pid:08x}AbCdEf"  # another program's folder, its launcher dead too
    foreign.mkdir()
    (foreign / "base_library.zip").write_bytes(b"")
    live = subprocess.Popen([str(binary), "send", str(picture), "--key", new_key()], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "serving until interrupted" in live.stdout.readline()
        running = [name for name in _mei_dirs(private_tmp) if name not in stale and name != foreign.name]
        done = run([str(binary)], "--version", env={"TMPDIR": str(private_tmp)})
        assert done.returncode == 0, done.stderr
        left = _mei_dirs(private_tmp)
        assert stale[0] not in left  # the killed run's copy is gone
        assert foreign.name in left and set(running) <= set(left)  # another program's and a live run's stay
    finally:
        live.send_signal(signal.SIGTERM)
        live.wait(20)
    assert _mei_dirs(private_tmp) == [foreign.name]
    shutil.rmtree(foreign)
