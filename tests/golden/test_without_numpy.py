"""Comparing without numpy: the Pillow engine (golden/chops.py) gives the numpy engine's answers on the
same inputs (counts, verdicts, largest differences, marks, bounding box, the diff picture); the CLI and
the window's compare model run in real processes where numpy cannot be imported and print what they
print with numpy; what truly needs numpy says so in one sentence with the documented exit code."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imgshare.golden import Region, Tolerances, chops, engine
from imgshare.golden.tolerances import EXACT
from tests.conftest import ROOT, imgshare_cmd
from tests.golden.tools import scene

DIFFERS, ERROR = 8, 1
SIZE = (61, 43)  # not a power of two
NEEDS_NUMPY = "needs numpy, which is not installed; install it with: pip install 'imgshare[numpy]'"


def noise(mode: str, seed: int) -> Image.Image:
    """A busy image in mode (every carried mode), from Pillow's own noise."""
    grey = Image.effect_noise(SIZE, 60 + seed)
    if mode == "P":
        return scene(SIZE, seed).convert("RGB").quantize(37)
    if mode in ("I", "F"):
        return grey.convert(mode).point(lambda v: v * 1000 - 7000) if mode == "I" else grey.convert("F")
    if mode == "I;16":
        return grey.convert("I").point(lambda v: v * 200).convert("I;16")
    if mode in ("RGB", "RGBA", "LA"):
        return scene(SIZE, seed).convert(mode)
    return grey.convert(mode)


def changed(image: Image.Image, seed: int, count: int = 40) -> Image.Image:
    """image with count pixels changed a little or a lot, the way renderings differ."""
    rng = random.Random(seed)
    other = image.copy()
    for _ in range(count):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        value: Any = image.getpixel((x, y))
        if isinstance(value, tuple):
            value = tuple((v + rng.choice((1, 2, 90))) % 256 for v in value)
        elif image.mode == "F":
            value = value + rng.choice((0.001, 3.5, 1e6))
        elif image.mode == "1":
            value = 255 - value
        elif image.mode in ("I", "I;16"):
            value = value + rng.choice((1, 3, 7, 900))
        else:
            value = (value + rng.choice((1, 3, 90))) % 256
        other.putpixel((x, y), value)
    return other


def both(actual: Image.Image, expected: Image.Image, tolerances: Tolerances = EXACT):
    """The two engines' results, checked equal in everything a user or a caller sees."""
    pillow, numpy_result = chops.compare_images(actual, expected, tolerances), \
        engine.compare_images(actual, expected, tolerances)
    assert pillow.as_dict() == numpy_result.as_dict()
    assert pillow.summary() == numpy_result.summary()
    assert pillow.bounding_box() == numpy_result.bounding_box()
    for name in ("marks", "ignored_marks"):
        ours, theirs = getattr(pillow, name), getattr(numpy_result, name)
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.mode == theirs.mode == "1" and ours.tobytes() == theirs.tobytes()
    if pillow.marks is not None:
        assert pillow.diff.tobytes() == numpy_result.diff.tobytes()
    return pillow


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F"]


@pytest.mark.parametrize("mode", MODES)
def test_both_engines_agree_in_every_mode_with_regions_masks_and_limits(mode, tmp_path):
    expected = noise(mode, 3)
    actual = changed(expected, 5)
    mask = Image.new("L", SIZE, 0)
    mask.paste(9, (40, 20, 61, 43))
    mask.save(tmp_path / "mask.png")
    found = both(actual, expected)
    assert found.differing > 20 and not found.passed
    assert both(expected.copy(), expected).exact
    regions = (Region(0, 0, 20, 15), Region(50, 35, 30, 30))  # the second one runs off the image
    found_with = both(actual, expected, Tolerances(ignore=regions, mask=str(tmp_path / "mask.png"),
                                                    max_diff_pixels=found.differing // 2))
    assert 0 < found_with.differing < found.differing and found_with.ignored == 300 + 11 * 8 + 21 * 23 - 11 * 8
    both(actual, expected, Tolerances(max_diff_ratio=0.5))
    if mode in ("I;16", "I"):
        within = both(actual, expected, Tolerances(deep_tolerance=7.5))
        assert 0 < within.differing < found.differing
    other = noise("RGB" if mode != "RGB" else "L", 3)
    assert both(other, expected).verdict.value == "mode differs"
    assert both(expected.resize((7, 5)), expected).verdict.value == "size differs"


def test_both_engines_agree_on_colour_keys_palettes_nan_and_extreme_integers():
    grey = noise("L", 1)
    keyed = grey.copy()
    keyed.info["transparency"] = grey.getpixel((3, 3))
    assert both(keyed, grey).verdict.value == "pixels differ"  # the key makes pixels transparent on one side
    other_key = keyed.copy()
    other_key.info["transparency"] = 256  # a key no pixel has
    both(other_key, keyed)
    rgb = noise("RGB", 2)
    rgb_keyed = changed(rgb, 3)
    rgb_keyed.info["transparency"] = rgb.getpixel((10, 10))
    both(rgb_keyed, rgb)
    palette = noise("P", 4)
    repainted = palette.copy()
    repainted.putpalette([255 - v for v in palette.getpalette()])
    assert both(repainted, palette).verdict.value == "palette differs"
    nan, inf = math.nan, math.inf
    floats = Image.new("F", (6, 1), nan)
    for x, value in enumerate([nan, 0.0, 1.5, inf, -inf, 2.0]):
        floats.putpixel((x, 0), value)
    other = floats.copy()
    for x, value in enumerate([nan, -0.0, nan, inf, inf, 2.0 + 2 ** -20]):
        other.putpixel((x, 0), value)
    found = both(other, floats)
    assert found.differing == 3 and dict(found.largest) == {"value": inf}  # NaN = NaN, 0.0 = -0.0
    wide = Image.new("I", (3, 2), 5)
    wide.putpixel((0, 0), 2 ** 31 - 1)
    far = wide.copy()
    far.putpixel((0, 0), -2 ** 31)
    far.putpixel((2, 1), 6)
    assert dict(both(far, wide).largest) == {"value": 2 ** 32 - 1}  # beyond ImageMath's 32 bits


def blocked_env() -> dict[str, str]:
    """An environment whose Python cannot import numpy: a sitecustomize, run at every start, blocks it."""
    blocker = ROOT / ".venv" / "numpy-blocker"
    blocker.mkdir(parents=True, exist_ok=True)
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['numpy'] = None  # no numpy here\n")
    return dict(os.environ, PYTHONPATH=os.pathsep.join((str(blocker), str(ROOT))))


def run_in(folder: Path, *args: str, numpy: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT)) if numpy else blocked_env()
    return subprocess.run([*imgshare_cmd(), *args], capture_output=True, text=True, timeout=120, cwd=folder,
                          env=env)


def test_the_blocker_really_keeps_numpy_out(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import numpy"], capture_output=True, text=True, timeout=60,
                          env=blocked_env(), cwd=tmp_path)
    assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr


CLI_CASES = {
    "equal": ["same.png", "expected.png"],
    "differs": ["actual.png", "expected.png"],
    "json": ["actual.png", "expected.png", "--json"],
    "regions, mask and a limit": ["actual.png", "expected.png", "--json", "--ignore", "0,0,20,15", "--mask",
                                  "mask.png", "--max-diff-pixels", "25"],
    "ratio": ["actual.png", "expected.png", "--max-diff-ratio", "0.5"],
    "diff picture": ["actual.png", "expected.png", "--diff", "out.png", "--force"],
    "16-bit": ["actual16.png", "expected16.png", "--json"],
    "16-bit tolerance": ["actual16.png", "expected16.png", "--tolerance", "7", "--json"],
    "16-bit diff": ["actual16.png", "expected16.png", "--diff", "out16.png", "--force"],
    "sizes": ["small.png", "expected.png"],
}


@pytest.fixture(scope="module")
def cli_folders(tmp_path_factory):
    """Two folders holding the same files: one for the run with numpy, one for the run without."""
    source = tmp_path_factory.mktemp("source")
    expected = noise("RGBA", 7)
    expected.save(source / "expected.png")
    expected.save(source / "same.png")
    changed(expected, 8).save(source / "actual.png")
    expected.resize((30, 20)).save(source / "small.png")
    deep = noise("I;16", 9)
    deep.save(source / "expected16.png")
    changed(deep, 10).save(source / "actual16.png")
    mask = Image.new("L", SIZE, 0)
    mask.paste(255, (30, 20, 61, 43))
    mask.save(source / "mask.png")
    folders = {}
    for name in ("with", "without"):
        folders[name] = tmp_path_factory.mktemp(name)
        for item in source.iterdir():
            shutil.copy(item, folders[name])
    return folders


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_cli_without_numpy_answers_as_with_numpy(case, cli_folders):
    args = CLI_CASES[case]
    with_numpy = run_in(cli_folders["with"], "compare", *args, numpy=True)
    without = run_in(cli_folders["without"], "compare", *args, numpy=False)
    assert with_numpy.returncode in (0, DIFFERS), with_numpy.stderr
    assert (without.returncode, without.stdout, without.stderr) == \
        (with_numpy.returncode, with_numpy.stdout, with_numpy.stderr)
    if "--json" in args:
        assert "differing_pixels" in json.loads(without.stdout)
    if "--diff" in args:
        written = args[args.index("--diff") + 1]
        picture = Image.open(cli_folders["without"] / written)
        assert picture.tobytes() == Image.open(cli_folders["with"] / written).tobytes()
        assert picture.getcolors(1 << 16) is not None and (255, 0, 0) in {c for _, c in picture.getcolors(1 << 16)}


@pytest.mark.parametrize("options, what", [
    (["--threshold", "0.1"], "a threshold and anti-aliasing (pixelmatch's measure)"),
    (["--aa"], "a threshold and anti-aliasing (pixelmatch's measure)"),
    (["--metrics"], "SSIM (--metrics)"),
])
def test_what_needs_numpy_says_so_in_one_sentence(options, what, cli_folders):
    done = run_in(cli_folders["without"], "compare", "actual.png", "expected.png", *options, numpy=False)
    assert done.returncode == ERROR and done.stdout == ""
    assert done.stderr == f"imgshare: error: comparing with {what} {NEEDS_NUMPY}\n"


def test_a_tolerance_for_float_images_needs_numpy(tmp_path):
    floats = noise("F", 2)
    floats.save(tmp_path / "expected.tif")
    changed(floats, 3).save(tmp_path / "actual.tif")
    done = run_in(tmp_path, "compare", "actual.tif", "expected.tif", "--tolerance", "0.5", numpy=False)
    assert done.returncode == ERROR
    assert done.stderr == f"imgshare: error: comparing with an absolute tolerance for F images {NEEDS_NUMPY}\n"
    exact = run_in(tmp_path, "compare", "actual.tif", "expected.tif", "--json", numpy=False)
    assert exact.returncode == DIFFERS and json.loads(exact.stdout)["differing_pixels"] > 30
    assert exact.stdout == run_in(tmp_path, "compare", "actual.tif", "expected.tif", "--json", numpy=True).stdout


WINDOW_MODEL = """
import sys
from PIL import Image
from imgshare.golden import Tolerances
from imgshare.golden.highlight import HIGHLIGHT, difference_overlay
from imgshare.views.imageview.display import ValueMapping
from imgshare.views.imageview.render import Inputs, MarkedOverlay, Renderer
from imgshare.views.receiver.compare_model import load_and_compare

print("numpy loaded:", "numpy" in sys.modules and sys.modules["numpy"] is not None)
expected_path = sys.argv[1]
received = Image.open(expected_path).convert("RGBA")
received.load()
for x, y in ((2999, 5), (33, 17), (34, 17), (35, 17), (0, 1999)):
    received.putpixel((x, y), (0, 0, 0, 255))
outcome = load_and_compare(expected_path, received, Tolerances(ignore=()), False)
walk = outcome.walk
print(outcome.result.summary(), outcome.box, walk.count)
print(walk.after(None), walk.after((33, 17)), walk.after((2999, 5)), walk.after((0, 1999)))
print(walk.before(None), walk.before((33, 17)), walk.before((2999, 5)), walk.before((0, 0)))
marks = outcome.result.marks
overlay = MarkedOverlay(lambda base: difference_overlay(base, marks), marks, HIGHLIGHT)
shown = Renderer().fit(Inputs(received, None, ValueMapping(), overlay), (300, 200))
print(sorted((x, y) for y in range(shown.height) for x in range(shown.width) if shown.getpixel((x, y)) == HIGHLIGHT))
"""


def test_the_windows_compare_model_works_without_numpy_as_with_it(tmp_path):
    """What the compare panel runs in its worker: compare, the bounding box, next and previous
    difference, and differences kept visible when the 3000x2000 image is fitted into 300x200."""
    Image.new("RGBA", (3000, 2000), (90, 140, 200, 255)).save(tmp_path / "expected.png")
    (tmp_path / "model.py").write_text(WINDOW_MODEL)
    outputs = []
    for numpy in (True, False):
        env = dict(os.environ, PYTHONPATH=str(ROOT)) if numpy else blocked_env()
        done = subprocess.run([sys.executable, "model.py", str(tmp_path / "expected.png")], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.splitlines())
    assert outputs[1][0] == "numpy loaded: False"
    assert outputs[0][1:] == outputs[1][1:]
    assert outputs[1][1:] == [
        "differs: 5 of 6000000 pixels (<0.01%); largest difference R 90, G 140, B 200, A 0 (0, 5, 3000, 2000) 5",
        "(2999, 5) (34, 17) (33, 17) (2999, 5)",
        "(0, 1999) (2999, 5) (0, 1999) (0, 1999)",
        "[(0, 199), (3, 1), (299, 0)]"]
