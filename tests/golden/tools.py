"""The reference tools the golden-image tests compare imgshare with: pixelmatch and playwright-core from
npm (installed into .venv/node by scripts/bootstrap test) and Debian's Chromium."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".venv" / "node"
TOOLS = ROOT / "tests" / "tools"
CHROMIUM = "/usr/bin/chromium"


def node_tool_env() -> dict[str, str]:
    """The environment node needs to find the npm tools; fails the test when they are not installed."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "pixelmatch").is_dir():
        pytest.fail("the npm tools of the tests are missing: run scripts/bootstrap test,gui (it installs "
                    "them into .venv/node)")
    return dict(os.environ, NODE_PATH=str(NODE_DIR / "node_modules"))


def pixelmatch_counts(pairs: list[tuple[Path, Path]], threshold: float, include_aa: bool) -> list[int]:
    """pixelmatch's count for each pair of PNG files (colours blended over white)."""
    env = node_tool_env()
    # ES modules ignore NODE_PATH: run the script from a copy beside node_modules
    script = NODE_DIR / "pixelmatch_count.mjs"
    shutil.copyfile(TOOLS / "pixelmatch_count.mjs", script)
    files = [str(p) for pair in pairs for p in pair]
    done = subprocess.run(["node", str(script), str(threshold), str(include_aa).lower(), *files],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [int(line) for line in done.stdout.split()]


def scene(size: tuple[int, int], seed: int, shift: int = 0, scale: int = 4) -> Image.Image:
    """A rendered-looking RGBA picture: shapes and lines drawn large and scaled down, so their edges are
    anti-aliased, on a flat background with a translucent band."""
    rng = random.Random(seed)
    width, height = size
    big = Image.new("RGBA", (width * scale, height * scale), (240, 240, 235, 255))
    draw = ImageDraw.Draw(big)
    for _ in range(12):
        x, y = rng.randrange(width * scale), rng.randrange(height * scale)
        w, h = rng.randrange(20, width * scale // 2), rng.randrange(20, height * scale // 2)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
        box = (x + shift, y, x + w + shift, y + h)
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    for _ in range(6):
        points = [(rng.randrange(width * scale) + shift, rng.randrange(height * scale)) for _ in range(2)]
        draw.line(points, fill=(20, 20, 20, 255), width=scale)
    small = big.resize(size, Image.Resampling.LANCZOS)
    band = Image.new("RGBA", (width, height // 5), (30, 90, 200, 120))
    small.alpha_composite(band, (0, height // 2))
    return small


def variants(base: Image.Image, seed: int) -> dict[str, Image.Image]:
    """Images that differ from base the way renderings do: moved by a pixel, noise, blur, a changed
    region, translucency changes."""
    rng = random.Random(seed)
    noisy = base.copy()
    pixels = noisy.load()
    for _ in range(base.width * base.height // 20):
        x, y = rng.randrange(base.width), rng.randrange(base.height)
        r, g, b, a = pixels[x, y]
        d = rng.randrange(-40, 41)
        alpha = max(0, min(255, a + rng.randrange(-60, 61)))
        pixels[x, y] = (max(0, min(255, r + d)), max(0, min(255, g - d)), b, alpha)
    patched = base.copy()
    ImageDraw.Draw(patched).rectangle((5, 5, 30, 18), fill=(255, 255, 255, 255))
    translucent = base.copy()
    translucent.putalpha(Image.eval(base.getchannel("A"), lambda v: v * 3 // 4))
    return {"noise": noisy, "blur": base.filter(ImageFilter.GaussianBlur(0.7)), "patched": patched,
            "translucent": translucent}
