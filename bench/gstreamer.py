"""The GStreamer elements (clients/gstreamer), timed in real gst-launch-1.0 pipelines beside a plain
memory copy of a frame measured in the same run.

* imgsharesink's added time per 1920x1080 RGBA frame: `videotestsrc num-buffers=1 ! RGBA 1080p !
  imagefreeze num-buffers=N ! imgsharesink sync=false` against the same pipeline ending in `fakesink
  sync=false` (which costs almost nothing), run in turns; each run's time is gst-launch-1.0's own
  "Execution ended after" (PLAYING to EOS, no start-up), the figure the median per frame of --runs
  runs. videotestsrc draws each frame anew (milliseconds of drawing that vary with the load, into a
  few reused buffers), so the frame is drawn once and imagefreeze sends it again: the source is as
  warm in the cache as the reference's, memcpy of the same 8.3 MB (clients/c/build/transfer). Target:
  at most two memory copies per frame; measured with the default (no checksum) and with checksum=true
  (an XXH3 pass over each chunk just before it is copied). A loaded machine stretches whole runs (the
  pipeline's threads wait for a core), so the element's own time per frame is printed too: imgsharesink
  logs it (GST_DEBUG=imgsharesink:6), and the median over every frame of the runs leaves out the frames
  that waited, as the memcpy median does.
* imgsharesrc following a sender whose size and format change every second at 60 frames/s for 4 s
  (tests/gstreamer/share_frames.py): buffers out of 240 and the time from the first buffer to the last
  (target: 240 buffers in about 4 s).

    .venv/bin/python bench/gstreamer.py [--frames N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

PLUGIN = ROOT / "clients" / "gstreamer"
TRANSFER = ROOT / "clients" / "c" / "build" / "transfer"
WIDTH, HEIGHT = 1920, 1080
FRAME_BYTES = WIDTH * HEIGHT * 4
CAPS = f"video/x-raw,format=RGBA,width={WIDTH},height={HEIGHT}"


def environment(registry: Path) -> dict[str, str]:
    env = dict(os.environ, GST_PLUGIN_PATH=str(PLUGIN / "build" / "plugin"), GST_REGISTRY=str(registry),
               PYTHONPATH=str(ROOT))
    env.pop("GST_DEBUG", None)
    return env


def playing_seconds(pipeline: str, env: dict[str, str]) -> float:
    """gst-launch-1.0's own time from PLAYING to EOS for pipeline."""
    result = subprocess.run(["gst-launch-1.0", *pipeline.split()], capture_output=True, text=True, env=env,
                            timeout=600)
    found = re.search(r"Execution ended after (\d+):(\d+):([\d.]+)", result.stdout)
    if result.returncode or not found:
        raise SystemExit(f"gst-launch-1.0 {pipeline} failed:\n{result.stdout}\n{result.stderr}")
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def sink_times(frames: int, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds per frame of each pipeline end, run in turns so that load hits all alike."""
    key = fresh_key("bench-gst")
    ends = {"fakesink": "fakesink sync=false",
            "imgsharesink": f"imgsharesink key={key} sync=false",
            "imgsharesink checksum=true": f"imgsharesink key={key} sync=false checksum=true"}
    samples: dict[str, list[float]] = {name: [] for name in ends}
    try:
        for _ in range(runs):
            for name, end in ends.items():
                # the first frame is shared at preroll, before PLAYING: frames - 1 are timed
                seconds = playing_seconds(f"videotestsrc num-buffers=1 ! {CAPS} ! imagefreeze num-buffers={frames} "
                                          f"! {end}", env)
                samples[name].append(seconds / (frames - 1))
    finally:
        remove_made_up_key(key)
    return {name: statistics.median(values) for name, values in samples.items()}


def element_times(frames: int, runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds imgsharesink spent on a frame, by its own log (the preroll frame, which makes the
    segment, left out)."""
    key = fresh_key("bench-gst")
    logged = dict(env, GST_DEBUG="imgsharesink:6", GST_DEBUG_NO_COLOR="1")
    samples: dict[str, list[float]] = {"imgsharesink": [], "imgsharesink checksum=true": []}
    try:
        for _ in range(runs):
            for name in samples:
                options = name.split()[1:]
                result = subprocess.run(["gst-launch-1.0", *f"videotestsrc num-buffers=1 ! {CAPS} ! imagefreeze "
                                         f"num-buffers={frames} ! imgsharesink key={key} sync=false".split(), *options],
                                        capture_output=True, text=True, env=logged, timeout=600)
                times = [int(us) / 1e6 for us in re.findall(r"shared frame \d+ in (\d+) us", result.stderr)]
                if result.returncode or len(times) < frames:
                    raise SystemExit(f"imgsharesink logged {len(times)} of {frames} frames:\n{result.stderr[-2000:]}")
                samples[name].extend(times[1:])
    finally:
        remove_made_up_key(key)
    return {name: statistics.median(values) for name, values in samples.items()}


def follow_changing(env: dict[str, str]) -> tuple[int, float]:
    """(buffers, seconds from the first to the last) of imgsharesrc following the changing sender."""
    key = fresh_key("bench-gst")
    src = subprocess.Popen(["gst-launch-1.0", "imgsharesrc", f"key={key}", "!", "fakesink", "silent=false",
                            "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(1.0)  # let it start and wait on the key: the sender's first frame must find it waiting
        subprocess.run([sys.executable, str(ROOT / "tests" / "gstreamer" / "share_frames.py"), key, "240", "60",
                        "changing"], check=True, capture_output=True, env=env, timeout=120)
        output, _ = src.communicate(timeout=60)
    finally:
        if src.poll() is None:
            src.kill()
            src.wait()
        remove_made_up_key(key)
    times = [float(t) for t in re.findall(r"last-message = chain .*?pts: \d+:\d+:([\d.]+)", output)]
    return len(times), (times[-1] - times[0]) if len(times) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=500, help="frames per pipeline run (default 500)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each pipeline, in turns (default 5)")
    args = parser.parse_args()
    subprocess.run(["make", "-C", str(PLUGIN), "-j2", "--quiet"], check=True)
    subprocess.run(["make", "-C", str(ROOT / "clients" / "c"), "-j2", "--quiet"], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-gst-") as folder:
        env = environment(Path(folder) / "registry.bin")
        copy = subprocess.run([str(TRANSFER), "memcpy", str(FRAME_BYTES), "200"], capture_output=True, text=True,
                              check=True)
        copy_s = float(copy.stdout.split()[1])
        times = sink_times(args.frames, args.runs, env)
        own = element_times(args.frames, args.runs, env)
        buffers, span = follow_changing(env)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{WIDTH}x{HEIGHT} RGBA ({FRAME_BYTES / 1e6:.1f} MB a frame), median of {args.runs} runs of "
          f"{args.frames} frames (load average {load} on {os.cpu_count()} cores)")
    print(f"{'memory copy of a frame (memcpy, same run)':44} {copy_s * 1000:8.3f} ms   1.00x")
    base = times["fakesink"]
    print(f"{'imagefreeze ! fakesink, per frame':44} {base * 1000:8.3f} ms")
    for name in ("imgsharesink", "imgsharesink checksum=true"):
        for label, added in ((f"{name}, added per frame", times[name] - base),
                             ("  the same, in the element (its own log)", own[name])):
            verdict = "met" if added <= 2 * copy_s else "MISSED"
            print(f"{label:44} {added * 1000:8.3f} ms {added / copy_s:6.2f}x  (target 2x: {verdict})")
    print(f"imgsharesrc following a sender changing size and format every second at 60 frames/s: {buffers} of 240 "
          f"buffers, first to last in {span:.2f} s (target: 240 in about 4 s)")


if __name__ == "__main__":
    main()
