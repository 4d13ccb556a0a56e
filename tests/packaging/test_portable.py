"""packaging/build-portable: the release executable runs on Debian 11 (glibc 2.31) and on this Debian 12,
and exchanges images with imgshare on the host through the System V IPC both share; an interrupted or
killed build leaves no process, no mount and no half-written executable behind.

Real everything: debootstrap from Debian's archive, a Debian 11 root that has only what a desktop has
for X (libx11-6, libxft2, libxss1, libfontconfig1), the executable started there through
packaging/portable/enter (its own mount namespace, /proc mounted, the host's IPC and network), and the
host's imgshare from this checkout. From nothing (CI) the build takes 5-10 minutes on two idle cores;
later about 1.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from imgshare.ipc import sysv_key
from imgshare.selftest import same_image, sample_image
from tests.conftest import ROOT, wait_until
from tests.ipc_cleanup import objects_at
from tests.packaging.conftest import program, run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

BUILD = ROOT / "packaging" / "build-portable"
ENTER = ROOT / "packaging" / "portable" / "enter"
MAKE_ROOT = ROOT / "packaging" / "portable" / "debian11-root"
CACHE = ROOT / "build" / "portable"
EXECUTABLE = ROOT / "dist" / "portable" / "imgshare"
DESKTOP_X_LIBRARIES = ("libx11-6", "libxft2", "libxss1", "libfontconfig1")
IN_ROOT = "/usr/local/bin/imgshare"
FLOOR = re.compile(r"needs glibc >= (\d+)\.(\d+)")

if os.geteuid() != 0:  # CI and this project's machines run as root; a user's checkout may not
    pytest.skip("build-portable needs root (debootstrap, chroot)", allow_module_level=True)


def _processes_in(folder: Path) -> list[str]:
    """'pid command' of every process whose root directory is at or under folder (a chroot of ours)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            root = os.readlink(f"/proc/{entry}/root")
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if root == str(folder) or root.startswith(f"{folder}/"):
            found.append(f"{entry} {command}")
    return found


def _mounts_under(folder: Path) -> list[str]:
    """Mount points at or under folder in any mount namespace on the machine (a step's private one
    included: it shows in the mountinfo of its processes that are not chrooted, unshare's)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/mountinfo") as f:
                points = [line.split()[4].replace("\\040", " ") for line in f]
        except OSError:
            continue
        found.update(p for p in points if p == str(folder) or p.startswith(f"{folder}/"))
    return sorted(found)


def _inside_a_root_with_its_mounts() -> bool:
    """True once a process runs chrooted under the cache with the root's /proc mounted: the build is in
    the middle of a step, with everything that must be undone in place."""
    return bool(_processes_in(CACHE)) and any(point.endswith("/proc") for point in _mounts_under(CACHE))


def _start_build() -> subprocess.Popen:
    # Its own session and process group: a terminal's Ctrl+C goes to the whole foreground group.
    return subprocess.Popen([str(BUILD)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _interrupt_mid_build(stop) -> tuple[int, str, bytes | None]:
    before = EXECUTABLE.read_bytes() if EXECUTABLE.exists() else None
    build = _start_build()
    try:
        wait_until(lambda: build.poll() is not None or _inside_a_root_with_its_mounts(), timeout=900,
                   what="build-portable to be inside a Debian 11 root", step=0.2)
        assert build.poll() is None, build.communicate()[0]
        stop(build)
        output, _ = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
    return build.returncode, output, before


def _nothing_left_behind(before: bytes | None) -> None:
    # debootstrap itself is not chrooted, but its namespace's mounts show until its last process ends.
    wait_until(lambda: not _processes_in(CACHE) and not _mounts_under(CACHE), timeout=60, step=0.2,
               what="every process of the build to end and every mount of its namespaces to go")
    assert (EXECUTABLE.read_bytes() if EXECUTABLE.exists() else None) == before
    assert not EXECUTABLE.with_name("imgshare.partial").exists()


def test_ctrl_c_mid_build_stops_every_process_and_leaves_nothing_mounted():
    returncode, output, before = _interrupt_mid_build(lambda build: os.killpg(build.pid, signal.SIGINT))
    assert returncode == 130, output
    assert "build-portable: " in output and "interrupted by SIGINT" in output, output
    assert "Traceback" not in output
    _nothing_left_behind(before)


def test_a_killed_build_takes_its_processes_with_it():
    """SIGKILL reaches no trap: the steps die with the script (parent-death signal), their namespaces
    with them, so the next run (the build below) starts clean."""
    returncode, output, before = _interrupt_mid_build(lambda build: build.kill())
    assert returncode == -signal.SIGKILL, output
    _nothing_left_behind(before)


def test_refuses_in_one_sentence_when_not_root():
    # A copy that nobody may read (the checkout may sit in root's home), in the session's 0755 folder.
    tree = Path(tempfile.mkdtemp(prefix="imgshare-portable-as-nobody-"))
    try:
        for script in ("build-portable", "portable/debian11.sh"):
            (tree / "packaging" / script).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / "packaging" / script, tree / "packaging" / script)
        for path in (tree, *tree.rglob("*")):
            path.chmod(0o755)
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               str(tree / "packaging" / "build-portable")], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}, timeout=60)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("build-portable: ") and done.stderr.count("\n") == 1, done.stderr
        assert "must run as root" in done.stderr
        assert not (tree / "build").exists()
    finally:
        shutil.rmtree(tree)


@pytest.fixture(scope="module")
def portable() -> tuple[Path, str]:
    """build-portable run to the end, after the interrupted runs above (the cache must still serve)
    and with a mount left under the cache as an earlier run killed the old way would leave one."""
    leftover = CACHE / "killed-run.partial" / "proc"
    leftover.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "leftover", str(leftover)], check=True)
    try:
        started = time.monotonic()
        build = _start_build()
        try:
            output, _ = build.communicate(timeout=2000)
        finally:  # a timeout (or any error here) stops the build as Ctrl+C would, rather than leave it running
            if build.poll() is None:
                os.killpg(build.pid, signal.SIGINT)
                build.communicate(timeout=120)
    finally:
        if str(leftover) in _mounts_under(CACHE):  # the build failed to undo it: the test fails below
            subprocess.run(["umount", str(leftover)], check=True)
    assert build.returncode == 0, output[-6000:]
    print(f"\nbuild-portable took {time.monotonic() - started:.0f} s: {output.strip().splitlines()[-1]}")
    assert _mounts_under(CACHE) == [] and _processes_in(CACHE) == []
    return EXECUTABLE, output


def test_a_mount_left_by_an_earlier_run_is_undone_first(portable):
    output = portable[1]
    assert f"unmounting {CACHE}/killed-run.partial/proc, left mounted by an earlier run" in output, output
    assert not (CACHE / "killed-run.partial").exists()


@pytest.fixture(scope="module")
def debian11(portable, tmp_path_factory) -> Path:
    """A minimal Debian 11 with the X client libraries of a desktop, and the executable in it."""
    root = tmp_path_factory.mktemp("debian11") / "root"
    done = subprocess.run([str(MAKE_ROOT), str(root), *DESKTOP_X_LIBRARIES], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy2(portable[0], root / IN_ROOT.lstrip("/"))
    yield root
    wait_until(lambda: not _processes_in(root), timeout=30, what="every process in the Debian 11 root to end")
    assert _mounts_under(root) == []
    shutil.rmtree(root)


def in_root(root: Path, *command: str, env: tuple[str, ...] = ()) -> list[str]:
    return [str(ENTER), str(root), *env, *command]


def test_the_build_says_where_it_is_and_needs_no_newer_glibc_than_debian_11(portable):
    executable, output = portable
    last = output.strip().splitlines()[-1]
    assert last.startswith("build-portable: dist/portable/imgshare, "), last
    floor = FLOOR.search(last)
    assert floor and (int(floor[1]), int(floor[2])) <= (2, 31), last
    assert executable.stat().st_mode & 0o111


def test_self_test_passes_in_debian_11_with_its_window(debian11, xvfb):
    glibc = subprocess.run(in_root(debian11, "getconf", "GNU_LIBC_VERSION"), capture_output=True, text=True,
                           timeout=60)
    assert glibc.stdout.strip() == "glibc 2.31", glibc.stdout + glibc.stderr
    done = subprocess.run(in_root(debian11, IN_ROOT, "self-test", env=(f"DISPLAY={xvfb}",)), capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "frozen binary" in lines[0], done.stdout
    # every mode the channel carries went through a segment (protocol 2's nine at least; 3 adds more)
    modes = [line for line in lines if " mode " in line and "through a segment" in line]
    assert len(modes) >= 9 and all(line.startswith("ok   mode ") for line in modes), done.stdout
    assert any(line.startswith("ok   Tk window and PIL.ImageTk") for line in lines), done.stdout
    assert any(line.startswith("ok   the themed window") for line in lines), done.stdout
    assert not any(line.startswith(("FAIL", "skip")) for line in lines), done.stdout
    assert os.listdir(debian11 / "tmp") == []  # no _MEI folder left behind


def test_self_test_passes_on_this_debian_12_without_warnings(portable, xvfb):
    done = run([str(portable[0])], "self-test", env={"DISPLAY": xvfb}, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   the themed window" in done.stdout, done.stdout
    # Debian 11's fontconfig, if it were packed, would warn here about Debian 12's configuration.
    assert done.stderr == "", done.stderr


def _serve(command: list[str]) -> subprocess.Popen:
    sender = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    line = sender.stdout.readline()
    assert "serving" in line, line + sender.stderr.read()
    return sender


def _stop(sender: subprocess.Popen) -> None:
    sender.send_signal(signal.SIGTERM)
    assert sender.wait(30) == 0, sender.stderr.read()


def test_images_go_both_ways_between_debian_11_and_the_host(debian11, new_key, tmp_path):
    to_root, from_root = new_key(), new_key()
    sent_by_host = sample_image("RGBA", (61, 37), seed=1)
    sent_by_host.save(tmp_path / "host.png")
    sent_by_root = sample_image("I;16", (45, 29), seed=2)
    sent_by_root.save(debian11 / "tmp" / "root.png")

    host_sender = _serve([*program("source"), "send", str(tmp_path / "host.png"), "--key", to_root])
    try:
        got = subprocess.run(in_root(debian11, IN_ROOT, "receive", "--key", to_root, "-o", "/tmp/got.png"),
                             capture_output=True, text=True, timeout=60)
        assert got.returncode == 0, got.stderr
    finally:
        _stop(host_sender)
    with Image.open(debian11 / "tmp" / "got.png") as image:
        assert same_image(sent_by_host, image) == ""

    root_sender = _serve(in_root(debian11, IN_ROOT, "send", "/tmp/root.png", "--key", from_root))
    try:
        # the host sees what the sender in the root made: its segments and its semaphore
        assert {kind for kind, _ in objects_at(sysv_key(from_root))} == {"shm", "sem"}
        got = run(program("source"), "receive", "--key", from_root, "-o", str(tmp_path / "got.png"))
        assert got.returncode == 0, got.stderr
    finally:
        _stop(root_sender)
    with Image.open(tmp_path / "got.png") as image:
        assert same_image(sent_by_root, image) == ""
    assert objects_at(sysv_key(to_root)) == [] and objects_at(sysv_key(from_root)) == []
    for name in ("root.png", "got.png"):
        (debian11 / "tmp" / name).unlink()
    assert os.listdir(debian11 / "tmp") == []  # the sender's _MEI folder went with it


SIZE_LIMIT = 25 * 2**20  # issue 23: at most 25 MB


def test_the_release_executable_fits_in_25_mb_with_numpy_and_no_openblas(portable, tmp_path):
    executable = portable[0]
    assert executable.stat().st_size <= SIZE_LIMIT, f"{executable.stat().st_size / 2**20:.1f} MB"
    # The bundle's table of contents names every packed library: numpy's are there, OpenBLAS is not.
    contents = executable.read_bytes()
    assert b"numpy/_core/_multiarray_umath" in contents
    assert b"openblas" not in contents.lower()
    # and numpy works in it: compare (which needs numpy) finds the one step of blue in every pixel
    for name, colour in (("a.png", (10, 20, 30)), ("b.png", (10, 20, 31))):
        Image.new("RGB", (33, 21), colour).save(tmp_path / name)
    done = run([str(executable)], "compare", str(tmp_path / "a.png"), str(tmp_path / "b.png"))
    assert done.returncode == 8, done.stdout + done.stderr
    assert done.stdout.startswith("differs: 693 of 693 pixels (100.00%); largest difference R 0, G 0, B 1"), \
        done.stdout


def _readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_offers_it_with_its_floor_and_the_menu_entry_starts_it(portable, tmp_path):
    section = _readme_section("The standalone executable")
    floor = "Linux with glibc 2.31 or newer: Debian 11+, Ubuntu 20.04+, RHEL 9+"
    assert floor in " ".join(section.replace("**", "").split())
    assert "packaging/build-portable     # -> dist/portable/imgshare" in section
    # The README's install commands, as a user runs them (in a fresh home), put the release executable
    # in the menu: the entry's Exec= starts exactly that file.
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    install = next(block for block in blocks if "install-desktop" in block)
    home = tmp_path / "home"
    home.mkdir()
    environment = dict(os.environ, HOME=str(home))
    environment.pop("XDG_DATA_HOME", None)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", install.split("--uninstall")[0].rsplit("\n", 1)[0]],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    entry = home / ".local" / "share" / "applications" / "imgshare.desktop"
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    program = fields["Exec"].split()[0]
    assert Path(program).read_bytes() == portable[0].read_bytes()
    started = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60,
                             env=dict(environment, TMPDIR=str(tmp_path)))
    assert started.returncode == 0 and started.stdout.startswith("imgshare "), started.stdout + started.stderr


def test_a_second_run_reuses_the_root_python_and_numpy(portable):
    """The cache serves: the second run makes no root and builds no Python and no numpy (only pip and
    PyInstaller run again)."""
    build = _start_build()
    try:
        output, _ = build.communicate(timeout=1200)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGINT)
            build.communicate(timeout=120)
    assert build.returncode == 0, output[-6000:]
    print(f"\nbuild-portable again: {output.strip().splitlines()[-1]}")
    assert "python: reusing CPython" in output and "numpy: reusing numpy-" in output, output
    assert "making" not in output and "building" not in output, output
