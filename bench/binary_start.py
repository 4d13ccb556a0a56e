"""Two builds of the executable side by side: size, warm start (`--version`) and the window's start.

    python bench/binary_start.py [--runs 15] [CANDIDATE [REFERENCE]]

CANDIDATE defaults to dist/portable/imgshare (packaging/build-portable), REFERENCE to dist/imgshare
(packaging/build, today's build on this machine). Issue 23's targets for the candidate are printed beside its
figures: at most 25 MB, a warm start of at most 0.6 s, a window as fast as the reference's. The CPU time
of a warm start (user + system, the launcher's and its child's) is printed too: on a loaded machine the
wall time is mostly waiting for a core, and the CPU time is what an idle one would take. The two run in
turn, A B A B..., so a drift in the machine's load touches both; medians and their ratio are printed with the
load average. A warm start is a run after others, with the file in the page cache. The window's start runs
from exec to the main window being mapped on a private Xvfb (polled every 5 ms with xdotool), then the program
is stopped. A one-file executable unpacks itself at every start, so both figures include that; each run gets a
TMPDIR of its own, removed after it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from gui_follow import start_xvfb  # noqa: E402


def version_start(executable: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run([str(executable), "--version"], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - began


def version_cpu(executable: Path, env: dict[str, str]) -> float:
    """CPU seconds (user + system) of a `--version` run, the launcher and the Python it starts: what a
    start costs when no other process competes for the cores (the wall time on a loaded machine is
    mostly waiting for one)."""
    program = subprocess.Popen([str(executable), "--version"], stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(program.pid, 0)
    program.returncode = os.waitstatus_to_exitcode(status)
    if program.returncode != 0:
        raise RuntimeError(f"{executable} --version: exit {program.returncode}")
    return usage.ru_utime + usage.ru_stime


def window_mapped(env: dict[str, str]) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--classname", "imgshare"],
                           capture_output=True, text=True, env=env)
    return bool(found.stdout.strip())


def window_start(executable: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    program = subprocess.Popen([str(executable)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = began + 60
        while not window_mapped(env):
            if program.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{executable}: no window (exit {program.poll()})")
            time.sleep(0.005)
        return time.perf_counter() - began
    finally:
        program.send_signal(signal.SIGTERM)
        program.wait(30)


def paired(measure: Callable[[Path, dict[str, str]], float], builds: list[Path], runs: int,
           folder: Path) -> list[list[float]]:
    """runs measurements of each build in turn, after one warm-up each; each run in a fresh TMPDIR."""
    times: list[list[float]] = [[] for _ in builds]
    for run in range(runs + 1):
        for index, executable in enumerate(builds):
            tmp = folder / f"tmp-{run}-{index}"
            tmp.mkdir()
            env = dict(os.environ, TMPDIR=str(tmp), XDG_CONFIG_HOME=str(folder / "config"),
                       XDG_STATE_HOME=str(folder / "state"))
            took = measure(executable, env)
            if run:
                times[index].append(took)
            shutil.rmtree(tmp, ignore_errors=True)
    return times


def shown(executable: Path) -> str:
    return str(executable.relative_to(ROOT)) if executable.is_relative_to(ROOT) else str(executable)


# Issue 23's targets for the candidate (the window's: no slower than the reference).
SIZE_TARGET_MB = 25.0
VERSION_TARGET_S = 0.6


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(what: str, builds: list[Path], times: list[list[float]], target_s: float | None = None) -> None:
    medians = [statistics.median(t) for t in times]
    for executable, samples, median in zip(builds, times, medians, strict=True):
        print(f"  {what:14} {shown(executable):24} median {median * 1000:7.1f} ms "
              f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}, {len(samples)} runs)")
    ratio = medians[0] / medians[1]
    if target_s is None:
        goal = f"target: no slower than the reference, {verdict(ratio <= 1.0)}"
    else:
        goal = f"target: candidate <= {target_s * 1000:.0f} ms, {verdict(medians[0] <= target_s)}"
    print(f"  {what:14} ratio candidate/reference: {ratio:.2f}; {goal}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("candidate", nargs="?", type=Path, default=ROOT / "dist" / "portable" / "imgshare")
    parser.add_argument("reference", nargs="?", type=Path, default=ROOT / "dist" / "imgshare")
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    builds = [options.candidate.resolve(), options.reference.resolve()]
    for executable in builds:
        if not executable.exists():
            sys.exit(f"{executable} does not exist: build it first (packaging/build-portable, packaging/build)")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} cores")
    for executable in builds:
        print(f"  size           {shown(executable):24} {executable.stat().st_size / 2**20:.1f} MB")
    size_mb = builds[0].stat().st_size / 2**20
    print(f"  size           ratio candidate/reference: {builds[0].stat().st_size / builds[1].stat().st_size:.2f}; "
          f"target: candidate <= {SIZE_TARGET_MB:.0f} MB, {verdict(size_mb <= SIZE_TARGET_MB)}")
    server = start_xvfb()
    with tempfile.TemporaryDirectory(prefix="imgshare-bench-start-") as folder:
        try:
            report("--version", builds, paired(version_start, builds, options.runs, Path(folder)), VERSION_TARGET_S)
            report("--version CPU", builds, paired(version_cpu, builds, options.runs, Path(folder)), VERSION_TARGET_S)
            report("window start", builds, paired(window_start, builds, options.runs, Path(folder)))
        finally:
            if server is not None:
                server.terminate()
                server.wait(10)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
