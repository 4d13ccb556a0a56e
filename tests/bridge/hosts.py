"""Two hosts on one machine for the bridge tests: each a separate System V IPC namespace (`unshare
--ipc`), kept alive by a holder process, with programs started inside it by `nsenter`. Objects made in
a namespace go with it when its last process ends, so nothing a host made can outlive its test.
The network is the machine's loopback, shared by both hosts, as between two machines on a LAN."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
PEER = ["-m", "tests.bridge.peer"]
LOADED = 60.0  # the deadline of the bridge tests' waits (each look may start a program on a host: a second or
# more on a loaded 2-core machine); a wait ends as soon as its condition holds


def eventually(condition: Callable[[], object], what: str) -> object:
    """tests.conftest.wait_until with the bridge tests' deadline; a failure shows what every program on
    the hosts said last."""
    try:
        return wait_until(condition, LOADED, what)
    except pytest.fail.Exception as failure:
        said = [f"{proc.name}: {proc.out[-3:]} {proc.errors[-5:]}" for host in Host.alive for proc in host.procs]
        raise pytest.fail.Exception(f"{failure.msg}\n" + "\n".join(said), pytrace=False) from None


def free_port() -> int:
    """A TCP port nobody listens on now (chosen at run time)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A program on a host; its output lines are read by threads into queues."""

    def __init__(self, args: list[str], popen: subprocess.Popen[str], name: str):
        self.args, self.popen, self.name = args, popen, name
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        self.out: list[str] = []
        threading.Thread(target=self._read, args=(popen.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(popen.stderr, False), daemon=True).start()

    def _read(self, stream: Any, is_stdout: bool) -> None:
        for line in stream:
            (self.out if is_stdout else self.errors).append(line.rstrip("\n"))
            if is_stdout:
                self.lines.put(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.popen.pid

    def line(self, timeout: float = 30.0, what: str = "a line") -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self.name}: no {what} within {timeout} s; stderr: {self.errors[-10:]}")

    def json_line(self, timeout: float = 30.0) -> dict[str, Any]:
        while True:
            line = self.line(timeout, "JSON line")
            if line.startswith("{"):
                return json.loads(line)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """The first new stdout line containing text."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(0.01, deadline - time.monotonic()), repr(text))
            if text in line:
                return line

    def write(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signum)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, as a user would (SIGKILL after timeout); returns the exit code."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGCONT)
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def stderr_text(self) -> str:
        return "\n".join(self.errors)


class Host:
    """One simulated machine: an IPC namespace of its own."""

    alive: list[Host] = []

    def __init__(self, name: str):
        self.name = name
        self._holder = subprocess.Popen(["unshare", "--ipc", sys.executable, "-c", "import sys; sys.stdin.read()"],
                                        stdin=subprocess.PIPE)
        # Until unshare has made the namespace, the holder's is still ours: programs entered then would
        # share this machine's IPC objects.
        ours = os.readlink("/proc/self/ns/ipc")
        wait_until(lambda: self._namespace() not in (None, ours), 30, f"{name}'s IPC namespace")
        self.procs: list[Proc] = []
        Host.alive.append(self)

    def _namespace(self) -> str | None:
        try:
            return os.readlink(f"/proc/{self._holder.pid}/ns/ipc")
        except OSError:
            return None

    def inside(self, *command: object) -> list[str]:
        """The command line that runs command in this host's IPC namespace."""
        return ["nsenter", "-t", str(self._holder.pid), "--ipc", *map(str, command)]

    def start(self, *args: str, name: str | None = None) -> Proc:
        """Start `python ARGS...` (imgshare's source tree on the path) inside this host."""
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        command = self.inside(sys.executable, *args)
        popen = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=ROOT, env=env)
        proc = Proc(command, popen, f"{self.name}: {name or ' '.join(args[:4])}")
        self.procs.append(proc)
        return proc

    def imgshare(self, *args: str) -> Proc:
        return self.start("-m", "imgshare", *args, name=f"imgshare {' '.join(args[:2])}")

    def peer(self, *args: str) -> Proc:
        return self.start(*PEER, *args, name=f"peer {args[0]}")

    def run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `imgshare ARGS...` inside this host to its end."""
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return subprocess.run(self.inside(sys.executable, "-m", "imgshare", *args),
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)

    def describe(self, key: str) -> dict[str, Any] | None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        done = subprocess.run(self.inside(sys.executable, *PEER, "describe", key),
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
        if done.returncode == 3:
            return None
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def close(self) -> None:
        if self in Host.alive:
            Host.alive.remove(self)
        for proc in reversed(self.procs):
            proc.stop()
        self._holder.stdin.close()
        self._holder.wait(10)


def same_image(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two descriptions (peer.described) name the same image, field by field."""
    return a == b
