"""Another program using System V IPC as the same user for the whole test run: the proof, in every
run, that the tests and the leak check look only at what the suite's own processes made.

Started before the session records its processes, so nothing it makes is ever the session's:
- `imgshare send --key K anim.gif`: an animation, so a new image is shared every few hundred ms;
- `imgshare receive --follow --key K -o FOLDER`: following it;
- a PySide6 program sharing an image with QSharedMemory under a random key, in the default temp folder;
- a stale share: a sender killed with SIGKILL, as a crashed camera leaves one (a test that ran
  `imgshare clean` or the window's Clean up over the whole user would remove it);
- a stale share of the user `nobody` (the same, for the other-user tests' clean as nobody).
At the end each must still run and its objects still exist (no test touched them); then each is stopped
and removes its own objects, as any program would.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from imgshare.ipc.qt.keys import QtKey, ftok
from tests.ipc_cleanup import SESSION, all_objects, all_sysv_keys
from tests.nobody import Nobody

ROOT = Path(__file__).resolve().parent.parent
QT_PEER = ROOT / "tests" / "qt" / "qt_peer.py"
FRAME_MS = 250  # slow enough that the follower's folder stays small over a whole run
_READY_TIMEOUT = 60.0


@dataclass
class Neighbour:
    key: str
    qt_key: str
    folder: Path
    stale_key: str = field(default_factory=lambda: f"neighbour-stale-{secrets.token_hex(6)}")
    nobody_key: str = field(default_factory=lambda: f"neighbour-nobody-{secrets.token_hex(6)}")
    nobody: Nobody | None = None
    procs: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    at_start: set[tuple[str, int]] = field(default_factory=set)  # its objects once it runs
    named: dict[tuple[str, int], str] = field(default_factory=dict)  # each object: which of its shares

    @classmethod
    def start(cls) -> Neighbour:
        folder = Path(tempfile.mkdtemp(prefix="neighbour-"))
        me = cls(f"neighbour-{secrets.token_hex(6)}", f"neighbourqt{secrets.token_hex(6)}", folder)
        me.nobody = Nobody()
        frames = [Image.new("RGB", (61, 41), (40 * i, 255 - 40 * i, 90)) for i in range(4)]
        frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0)
        Image.new("RGBA", (33, 17), (10, 200, 30, 255)).save(folder / "still.png")
        (folder / "follow").mkdir()
        env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
        env.pop("TMPDIR", None)  # the default temp folder, as a user's Qt program has
        imgshare = [sys.executable, "-m", "imgshare"]
        me._spawn("sender", [*imgshare, "send", str(folder / "anim.gif"), "--key", me.key], env)
        me._spawn("qt sharer", [sys.executable, str(QT_PEER), "send", me.qt_key, str(folder / "still.png")], env)
        me._wait_line("sender", "serving")
        me._wait_line("qt sharer", "shared")
        me._spawn("follower", [*imgshare, "receive", "--follow", "--key", me.key, "-o", str(folder / "follow")],
                  env, quiet=True)
        me._leave_stale("stale sender", subprocess.Popen(
            [*imgshare, "send", str(folder / "still.png"), "--key", me.stale_key], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=env, cwd=folder))
        still = me.nobody.home / "out" / "still.png"
        Image.new("L", (19, 7), 99).save(still)
        still.chmod(0o644)
        me._leave_stale("nobody's stale sender", me.nobody.popen(
            "send", "out/still.png", "--key", me.nobody_key, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
        me.at_start = me.objects()
        me.named = me.owners()
        if len(me.at_start) < 5:
            raise RuntimeError(f"the neighbour's shares are not all there: {sorted(me.at_start)}")
        return me

    def _leave_stale(self, name: str, proc: subprocess.Popen[str]) -> None:
        """Wait until a sender serves, then kill it with SIGKILL: its share stays, stale."""
        SESSION.exclude(proc.pid)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.kill()
        proc.wait()
        proc.stdout.close()
        if "serving" not in line:
            raise RuntimeError(f"the neighbour's {name} did not start: {line!r}")

    def _spawn(self, name: str, command: list[str], env: dict[str, str], quiet: bool = False) -> None:
        """Start one part; its messages go to a file (a full pipe would stall it), and its first
        line of output to a pipe unless quiet (the follower prints a line per image)."""
        with open(self.folder / f"{name.replace(' ', '-')}.log", "w") as log:
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log if quiet else subprocess.PIPE,
                                    stderr=log, text=True, env=env, cwd=self.folder, start_new_session=True)
        SESSION.exclude(proc.pid)
        self.procs[name] = proc

    def _wait_line(self, name: str, expected: str) -> None:
        proc = self.procs[name]
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if expected not in line:
            log = (self.folder / f"{name.replace(' ', '-')}.log").read_text()
            raise RuntimeError(f"the neighbour's {name} did not start: {line!r} {log}")

    def objects(self) -> set[tuple[str, int]]:
        """Its segments and semaphores: at its three imgshare keys, and at the Qt sharer's two key files."""
        paths = QtKey.of(self.qt_key, "/tmp")  # TMPDIR unset: Qt's /tmp
        keys = {ftok(paths.shm_file), ftok(paths.sem_file)} - {None}
        for key in (self.key, self.stale_key, self.nobody_key):
            keys.update(all_sysv_keys(key))
        return {(o.kind, o.id) for o in all_objects() if o.key in keys}

    def owners(self) -> dict[tuple[str, int], str]:
        """Which of its shares each of its objects belongs to, for the sentence when one is gone."""
        paths = QtKey.of(self.qt_key, "/tmp")
        names = {ftok(paths.shm_file): "the PySide6 sharer's", ftok(paths.sem_file): "the PySide6 sharer's"}
        for key, what in ((self.key, "the live sender's"), (self.stale_key, "the stale share of root"),
                          (self.nobody_key, "the stale share of nobody")):
            names.update(dict.fromkeys(all_sysv_keys(key), what))
        return {(o.kind, o.id): names[o.key] for o in all_objects() if o.key in names}

    def check(self) -> list[str]:
        """What went wrong for the neighbour during the run (nothing, if no test touched it)."""
        problems = [f"the neighbour's {name} stopped during the run (exit {proc.returncode})"
                    for name, proc in self.procs.items() if proc.poll() is not None]
        missing = self.at_start - self.objects()
        if missing:
            whose = ", ".join(sorted({self.named.get(obj, "?") for obj in missing}))
            problems.append(f"the neighbour's objects {sorted(missing)} were removed during the run ({whose}): "
                            "a test, or another program on this machine, removed shares it did not make")
        deadline = time.monotonic() + 5 * FRAME_MS / 1000
        while len(self.received()) < 2 and time.monotonic() < deadline:
            time.sleep(FRAME_MS / 1000)
        if len(self.received()) < 2:
            problems.append("the neighbour's follower received fewer than 2 images")
        return problems

    def received(self) -> list[str]:
        return os.listdir(self.folder / "follow")

    def stop(self) -> None:
        """Stop each as a user would (Ctrl+C; the Qt program when its input closes); they clean up."""
        for name in ("follower", "sender"):
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        qt = self.procs.get("qt sharer")
        if qt is not None and qt.stdin is not None:
            qt.stdin.close()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self._remove_stale_shares()
        for path in sorted(self.folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        self.folder.rmdir()

    def _remove_stale_shares(self) -> None:
        """Its stale shares go as their owners would remove them: `imgshare remove`, each as its user."""
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        subprocess.run([sys.executable, "-m", "imgshare", "remove", "--key", self.stale_key], env=env,
                       capture_output=True, timeout=60)
        if self.nobody is not None:
            self.nobody.run("remove", "--key", self.nobody_key)
            self.nobody.remove()

    def summary(self) -> str:
        return (f"neighbour: imgshare sender + follower on key {self.key!r} ({len(self.received())} images "
                f"followed), a PySide6 sharer on {self.qt_key!r}, and stale shares of root ({self.stale_key!r}) "
                f"and nobody ({self.nobody_key!r}) were there for the whole suite")
