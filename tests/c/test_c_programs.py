"""The C programs on their own: a C-to-C exchange under the sanitizers, the C++ round trip, and the two
examples (the conformance vectors and the fuzzer: test_c_vectors.py)."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
from PIL import Image

from imgshare.image16 import Image16
from imgshare.ipc import Receiver, Sender
from tests.c.conftest import run_c
from tests.c.images import as_array, random_rows
from tests.ipc_cleanup import objects_of

SANITIZERS = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"}


def run_sanitized(*args, **kwargs):
    return run_c(*args, env=dict(os.environ, **SANITIZERS), **kwargs)


def test_c_to_c_exchange_under_the_sanitizers(c_build, start_c, key, tmp_path):
    rows = random_rows("RGBA", 317, 211, seed=6)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool", True), "send", key, "RGBA", 317, 211, tmp_path / "rows", "--pad", "3")
    sender.expect("shared")
    for args in ([], ["--borrow"], ["--stride", "2000"]):
        out = tmp_path / "out"
        result = run_sanitized(c_build.program("tool", True), "receive", key, out, *args)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        assert out.read_bytes() == rows
    assert sender.finish() == 0
    assert sender.stderr() == ""
    assert objects_of(key) == []


def test_the_cpp_translation_unit_round_trips_an_image(c_build, key):
    result = run_c(c_build.program("roundtrip"), key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert objects_of(key) == []


def test_share_image_example_serves_a_pam_file_until_sigterm(c_build, start_c, key, tmp_path):
    width, height = 317, 211
    rows = random_rows("RGBA", width, height, seed=12)
    pam = tmp_path / "picture.pam"
    pam.write_bytes(f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n".encode()
                    + rows)
    example = start_c(c_build.program("share_image"), key, pam, stdin=False)
    assert example.expect("sharing").startswith(f"sharing {width}x{height} RGBA")
    array, info = Receiver(key).receive_array()
    assert array.tobytes() == rows and info.source_name == "picture.pam"
    example.process.terminate()
    assert example.process.wait(timeout=20) == 0
    assert objects_of(key) == []


def test_share_image_example_reads_16_bit_grey(c_build, start_c, key, tmp_path):
    values = (np.arange(6 * 5).reshape(5, 6) * 2000).astype(">u2")  # PNM is big-endian
    pgm = tmp_path / "deep.pgm"
    pgm.write_bytes(b"P5\n# sixteen bits\n6 5\n65535\n" + values.tobytes())
    example = start_c(c_build.program("share_image"), key, pgm, stdin=False)
    example.expect("sharing")
    array, info = Receiver(key).receive_array()
    assert info.mode == "I;16" and (array == values.astype(np.uint16)).all()
    example.process.terminate()
    assert example.process.wait(timeout=20) == 0


def test_share_image_example_reads_a_pbm_file(c_build, start_c, key, tmp_path):
    """PBM (P4), which follow_key writes for mode 1: PBM's 1 is black, imgshare's 1 is white."""
    image = Image.frombytes("1", (13, 3), random_rows("1", 13, 3, seed=5))
    image.save(tmp_path / "bits.pbm")
    example = start_c(c_build.program("share_image"), key, tmp_path / "bits.pbm", stdin=False)
    assert example.expect("sharing").startswith("sharing 13x3 1")
    received, _ = Receiver(key).receive()
    assert received.mode == "1" and received.tobytes() == image.tobytes()
    example.process.terminate()
    assert example.process.wait(timeout=20) == 0


def test_follow_key_example_writes_each_new_image(c_build, start_c, key, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    example = start_c(c_build.program("follow_key"), key, folder, "2", stdin=False)
    first = random_rows("RGB", 5, 4, seed=1)
    second = random_rows("RGB", 5, 4, seed=2)
    with Sender(key) as sender:
        sender.share(np.array(as_array("RGB", 5, 4, first)))
        example.expect(str(folder / "000001.ppm"))
        sender.share(np.array(as_array("RGB", 5, 4, second)), channels="BGR")  # the example writes R, G, B
        assert "0 missed" in example.expect(str(folder / "000002.ppm"))
        assert example.process.wait(timeout=20) == 0
    header = b"P6\n5 4\n255\n"
    assert (folder / "000001.ppm").read_bytes() == header + first
    assert (folder / "000002.ppm").read_bytes() == header + as_array("RGB", 5, 4, second)[..., ::-1].tobytes()


def test_follow_key_example_expands_a_palette(c_build, start_c, key, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    example = start_c(c_build.program("follow_key"), key, folder, "1", stdin=False)
    image = Image.frombytes("P", (3, 1), bytes([0, 1, 2]))
    image.putpalette([10, 20, 30, 40, 50, 60, 70, 80, 90], "RGB")
    with Sender(key) as sender:
        sender.share(image)
        example.expect(str(folder / "000001.ppm"))
        assert example.process.wait(timeout=20) == 0
    assert (folder / "000001.ppm").read_bytes().endswith(bytes([10, 20, 30, 40, 50, 60, 70, 80, 90]))


def _shared_images() -> list[tuple[str, Image.Image | np.ndarray, str, bytes]]:
    """(what, image to share, the mode imgshare must read back from follow_key's file, its raw bytes)."""
    width, height = 37, 5
    cases: list[tuple[str, Image.Image | np.ndarray, str, bytes]] = []
    for mode in ("1", "L", "LA", "RGB", "RGBA", "I;16", "I", "F", "RGB;16", "RGBA;16"):
        rows = random_rows(mode, width, height, seed=len(mode) * 31)
        cases.append((mode, np.array(as_array(mode, width, height, rows)), mode, rows))
    bgr = random_rows("RGB", width, height, seed=77)
    cases.append(("RGB as BGR", np.array(as_array("RGB", width, height, bgr)), "RGB",
                  as_array("RGB", width, height, bgr)[..., ::-1].tobytes()))
    indices = bytes(i % 4 for i in range(width * height))
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]
    opaque = Image.frombytes("P", (width, height), indices)
    opaque.putpalette(palette, "RGB")
    cases.append(("P", opaque, "RGB", opaque.convert("RGB").tobytes()))
    see_through = opaque.copy()
    see_through.info["transparency"] = bytes([0, 128, 255, 255])
    cases.append(("P with transparency", see_through, "RGBA", see_through.convert("RGBA").tobytes()))
    return cases


def test_follow_key_writes_files_imgshare_reads_back_exactly(c_build, start_c, key, tmp_path):
    """Issue 17.24: every file follow_key writes is one imgshare opens (it could not read the PAM files it
    wrote before), with the mode and values that were shared; the folder given with a trailing slash
    makes no double slash."""
    from imgshare.imaging import load_image

    folder = tmp_path / "frames"
    folder.mkdir()
    cases = _shared_images()
    example = start_c(c_build.program("follow_key", True), key, f"{folder}/", str(len(cases)), stdin=False)
    with Sender(key) as sender:
        for sequence, (what, image, mode, expected) in enumerate(cases, start=1):
            sender.share(image, channels="BGR", tags={"n": sequence}) if what == "RGB as BGR" else sender.share(image)
            line = example.expect(f"{folder}/{sequence:06d}.")
            assert "//" not in line
            path = line.split(":", 1)[0]
            loaded = load_image(path)  # what `imgshare send PATH` loads
            assert (loaded.mode, loaded.size) == (mode, (37, 5)), (what, path)
            assert (loaded.tobytes() if isinstance(loaded, Image16) else  # RGB;16, RGBA;16
                    loaded.tobytes("raw", mode)) == expected, what
        assert example.process.wait(timeout=20) == 0
    tagged = [path.name for path in folder.glob("*.json")]
    assert len(tagged) == 1 and json.loads((folder / tagged[0]).read_text()) == {"n": int(tagged[0][:6])}
    assert example.stderr() == ""  # no sanitizer report


def test_the_readme_example_compiles_and_shares(c_build, key, tmp_path):
    """The README's "From C and C++" example, in a main() of its own, shares a frame Python reads."""
    from tests.c.conftest import CLIENT
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From C and C++", 1)[1]
    snippet = section.split("```c\n", 1)[1].split("```", 1)[0]
    directives = [line for line in snippet.splitlines() if line.startswith("#")]
    body = [line for line in snippet.splitlines() if not line.startswith("#")]
    body[-1:-1] = ["getchar(); /* serve until stdin closes */"]  # before the close
    program = "\n".join([*directives, "#include <stdio.h>", "int main(void) {",
                         "static unsigned char pixels[480][640 * 4]; size_t stride = sizeof pixels[0];",
                         "pixels[0][0] = 42;", *body, "return 0; }"])
    assert program.count('"demo"') == 1
    (tmp_path / "example.c").write_text(program.replace('"demo"', f'"{key}"'))  # a fresh key, not "demo"
    build = run_c("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", f"-I{CLIENT}", tmp_path / "example.c", "-o",
                  tmp_path / "example", "-lxxhash")
    assert build.returncode == 0, build.stderr
    example = subprocess.Popen([str(tmp_path / "example")], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        array, info = Receiver(key).receive_array(wait=20)
        assert (info.width, info.height, info.mode, array[0, 0, 0]) == (640, 480, "RGBA", 42)
    finally:
        example.communicate(b"\n", timeout=20)
    assert example.returncode == 0
    assert objects_of(key) == []


