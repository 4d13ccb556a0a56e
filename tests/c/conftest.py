"""Fixtures for the C library's tests: the programs built once per session with clients/c/Makefile, and
a way to run them as real separate processes whose output lines are awaited with deadlines."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLIENT = ROOT / "clients" / "c"
VECTORS = ROOT / "tests" / "vectors"


@dataclass(frozen=True)
class Build:
    """Where the built C programs are: build/NAME, and build/asan/NAME under the sanitizers."""

    folder: Path

    def program(self, name: str, sanitized: bool = False) -> str:
        return str(self.folder / ("asan" if sanitized else "") / name)


@pytest.fixture(scope="session")
def c_build() -> Build:
    """Build every C program (examples, tests, benchmark; C11, C++17 and a sanitized build) once."""
    result = subprocess.run(["make", "-C", str(CLIENT), "-j2"], capture_output=True, text=True, timeout=600)
    if result.returncode:
        pytest.fail("building clients/c failed (scripts/bootstrap test installs gcc, g++, make and "
                    f"libxxhash-dev):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return Build(CLIENT / "build")


class Program:
    """A running C program: its output lines arrive on a queue, read with a deadline."""

    def __init__(self, args: list[str], stdin: bool = True, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float = 20.0) -> str:
        """The next output line starting with prefix (earlier lines are kept in self.output)."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"{self.args[:3]} printed no line starting {prefix!r} within {timeout} s; "
                            f"it printed {self.output}")
            if line is None:
                self.process.wait(timeout=timeout)
                pytest.fail(f"{self.args[:3]} ended (exit {self.process.returncode}) before printing {prefix!r}; "
                            f"it printed {self.output}; stderr: {self.stderr()}")
            self.output.append(line)
            if line.startswith(prefix):
                return line

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def finish(self, timeout: float = 20.0) -> int:
        """Close its stdin (the tool's signal to stop) and wait for it to exit; its exit status."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=20)
        self._reader.join(timeout=20)


@pytest.fixture
def start_c() -> Iterator:
    """start_c(args...) starts a program; every one still running at the end of the test is killed."""
    started: list[Program] = []

    def start(*args: str, stdin: bool = True, env: dict[str, str] | None = None) -> Program:
        program = Program([str(a) for a in args], stdin=stdin, env=env)
        started.append(program)
        return program

    yield start
    for program in started:
        program.kill()
        for stream in (program.process.stdin, program.process.stdout, program.process.stderr):
            if stream is not None:
                stream.close()


def run_c(*args: object, timeout: float = 60.0, **kwargs) -> subprocess.CompletedProcess:
    """Run a C program to its end; its output as text."""
    kwargs.setdefault("env", dict(os.environ))
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          **kwargs)

