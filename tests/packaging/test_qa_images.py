"""The QA images through the built binary's CLI: every case of tests/qa/make_images gives what its
manifest documents: the exact pixels of the reference, or the documented error and exit code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from PIL import Image

from tests.conftest import ROOT
from tests.packaging.conftest import run

pytestmark = pytest.mark.timeout(1200)
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}


@pytest.fixture(scope="session")
def qa_images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qa-images")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "qa" / "make_images"), str(folder)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder, json.loads((folder / "manifest.json").read_text())


def difference(expected: Image.Image, got: Image.Image) -> str:
    """'' when got has expected's mode, size, pixels, palette colours and transparency."""
    if (got.mode, got.size) != (expected.mode, expected.size):
        return f"got {got.size} {got.mode}, expected {expected.size} {expected.mode}"
    if got.tobytes() != expected.tobytes():
        return "pixels differ"
    if expected.mode == "P" and got.convert("RGBA").tobytes() != expected.convert("RGBA").tobytes():
        return "palette colours or transparency differ"
    if got.info.get("transparency") != expected.info.get("transparency"):
        return f"transparency {got.info.get('transparency')!r} != {expected.info.get('transparency')!r}"
    return ""


def check_case(binary, case: dict, folder, key: str, out_dir) -> str:
    """What is wrong with the binary's result for one manifest case ('' when it is as documented)."""
    source = folder / case["file"]
    sent = run([str(binary)], "send", str(source), "--key", key, "--persist")
    if case["result"] == "error":
        lines = sent.stderr.strip().splitlines()
        nothing = run([str(binary)], "info", "--key", key).returncode
        if sent.returncode != case["exit_code"]:
            return f"exit {sent.returncode}, expected {case['exit_code']}: {sent.stderr.strip()}"
        if len(lines) != 1 or not lines[0].startswith("imgshare: error: ") or case["stderr"] not in lines[0]:
            return f"stderr {sent.stderr!r} is not one error line containing {case['stderr']!r}"
        return "" if nothing == 3 else f"something was shared anyway (info exit {nothing})"
    if sent.returncode != 0:
        return f"send exit {sent.returncode}: {sent.stderr.strip()}"
    out = out_dir / f"{case['file']}.{'png' if case['mode'] in PNG_MODES else 'tif'}"
    received = run([str(binary)], "receive", "--key", key, "-o", str(out))  # new_key removes the share
    if received.returncode != 0:
        return f"receive exit {received.returncode}: {received.stderr.strip()}"
    if "converted_from" in case and f"(converted from {case['converted_from']})" not in received.stdout:
        return f"receive does not say it was converted: {received.stdout.strip()}"
    with Image.open(folder / case["reference"]) as expected, Image.open(out) as got:
        problem = difference(expected, got)
    if problem or "played" not in case:
        return problem
    return check_playing(binary, case["played"], source, f"{key}-played", out_dir)


def check_playing(binary, played: dict, source, key: str, out_dir) -> str:
    """Playing the animation shares each frame in the documented mode, exactly one of its references."""
    player = subprocess.Popen([str(binary), "send", str(source), "--key", key], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        if "serving" not in (player.stdout.readline() if player.stdout else ""):
            return f"send did not start playing: {player.stderr.read() if player.stderr else ''}"
        frames_dir = out_dir / f"{key}-frames"
        followed = run([str(binary)], "receive", "--follow", "--count", "4", "--key", key, "-o", str(frames_dir),
                       timeout=60)
        if followed.returncode != 0:
            return f"receive --follow exit {followed.returncode}: {followed.stderr.strip()}"
    finally:
        player.send_signal(signal.SIGTERM)
        player.communicate(timeout=20)
    references = []
    for name in played["frames"]:
        with Image.open(source.parent / name) as reference:
            references.append(reference.copy())
    seen = set()
    for path in sorted(frames_dir.glob("*.png")):  # the frames; imgshare-frames.jsonl records their times
        with Image.open(path) as got:
            if got.mode != played["mode"]:
                return f"a played frame is {got.mode}, documented {played['mode']}"
            matches = [i for i, reference in enumerate(references) if not difference(reference, got)]
        if not matches:
            return f"played frame {path.name} is none of the documented frames"
        seen.update(matches)
    return "" if len(seen) >= 2 else f"only frame(s) {sorted(seen)} were played"


def test_every_qa_image_gives_its_documented_result(binary, qa_images, new_key, tmp_path):
    folder, manifest = qa_images
    assert len(manifest) >= 20
    failures = []
    for case in manifest:
        problem = check_case(binary, case, folder, new_key("qa"), tmp_path)
        if problem:
            failures.append(f"{case['file']} ({case['what']}): {problem}")
    assert not failures, "\n".join(failures)
