"""`imgshare compare` against odiff on the same files in the same run, at 3840x2160 and 7680x4320 RGBA:
file against file and share against file, exact and with --threshold 0.1. Each figure is the median
wall time and CPU time of whole commands (process start, both PNG decodes, the comparison, exit), and
their ratios to odiff's. odiff-bin comes from npm and is used when present, never a dependency:

    npm install --prefix .venv/odiff odiff-bin     # once, to have the peer
    .venv/bin/python bench/compare.py [--repeat N] [--sizes 3840x2160,7680x4320]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

IMGSHARE = [sys.executable, "-m", "imgshare"]


def odiff_command() -> str | None:
    local = ROOT / ".venv" / "odiff" / "node_modules" / ".bin" / "odiff"
    return str(local) if local.exists() else shutil.which("odiff")


def make_pair(folder: Path, width: int, height: int) -> tuple[Path, Path]:
    """A rendered-looking picture (gradients, shapes, fine noise) and a copy with a few changes."""
    rng = np.random.default_rng(width)
    y, x = np.mgrid[0:height, 0:width]
    base = np.empty((height, width, 4), np.uint8)
    base[..., 0] = (x * 255 // width).astype(np.uint8)
    base[..., 1] = (y * 255 // height).astype(np.uint8)
    base[..., 2] = ((x + y) % 256).astype(np.uint8)
    base[..., 3] = 255
    for _ in range(40):
        x0, y0 = rng.integers(0, width - 200), rng.integers(0, height - 200)
        base[y0:y0 + rng.integers(20, 200), x0:x0 + rng.integers(20, 200), :3] = rng.integers(0, 256, 3)
    base[..., :3] ^= rng.integers(0, 4, (height, width, 3), dtype=np.uint8)  # a little sensor-like noise
    changed = base.copy()
    changed[100:140, 300:420, :3] = 255 - changed[100:140, 300:420, :3]
    changed[height // 2, :, 1] //= 2
    expected, actual = folder / f"expected-{width}.png", folder / f"actual-{width}.png"
    Image.fromarray(base, "RGBA").save(expected, compress_level=6)
    Image.fromarray(changed, "RGBA").save(actual, compress_level=6)
    return expected, actual


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# As an installed imgshare runs: with its bytecode cached (pip compiles it on install). Without this,
# an environment with PYTHONDONTWRITEBYTECODE set compiles every module at every start (60-70 ms).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], repeat: int, ok: tuple[int, ...]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, all threads) of repeat runs, after one
    untimed run (caches warm): on a loaded machine the wall time grows with the load and the CPU time
    hardly does, so both are printed."""
    subprocess.run(command, capture_output=True, env=ENV, check=False)
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False)
        times.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr or done.stdout}")
    return statistics.median(times), statistics.median(cpu)


def _shown(measured: tuple[float, float] | None, peer: tuple[float, float] | None) -> str:
    if measured is None:
        return "-"
    wall, cpu = measured
    ratio = f" ({wall / peer[0]:.2f}x odiff wall, {cpu / peer[1]:.2f}x CPU)" if peer else ""
    return f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="3840x2160,7680x4320")
    args = parser.parse_args()
    odiff = odiff_command()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores; "
          f"median of {args.repeat}; odiff: {odiff or 'not installed (npm install --prefix .venv/odiff odiff-bin)'}")
    env_key = fresh_key()
    with tempfile.TemporaryDirectory(prefix="imgshare-bench-") as folder:
        for size in args.sizes.split(","):
            width, height = (int(v) for v in size.split("x"))
            expected, actual = make_pair(Path(folder), width, height)
            print(f"\n{width}x{height} RGBA ({expected.stat().st_size / 1e6:.1f} MB PNG each)")
            subprocess.run([*IMGSHARE, "send", str(actual), "--key", env_key, "--persist"], check=True,
                           capture_output=True)
            try:
                for label, options, odiff_options in (("exact", [], ["-t", "0"]),
                                                      ("--threshold 0.1", ["--threshold", "0.1"], ["-t", "0.1"])):
                    peer = timed([odiff, str(expected), str(actual), *odiff_options], args.repeat, (0, 22)) \
                        if odiff else None
                    files = timed([*IMGSHARE, "compare", str(actual), str(expected), *options], args.repeat, (0, 8))
                    share = timed([*IMGSHARE, "compare", "--key", env_key, str(expected), *options], args.repeat,
                                  (0, 8))
                    print(f"  {label}\n    odiff               {_shown(peer, None)}\n"
                          f"    imgshare file/file  {_shown(files, peer)}\n"
                          f"    imgshare share/file {_shown(share, peer)}")
            finally:
                remove_made_up_key(env_key)


if __name__ == "__main__":
    main()
