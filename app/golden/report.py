"""A batch's report: OUT/index.html (one page that works from the file system: failures first, the
expected, actual and difference pictures of each pair with a way to flip between them, the figures),
OUT/report.json and OUT/junit.xml (one test case per pair, for CI systems)."""

from __future__ import annotations

import datetime
import html
import json
import os
from collections.abc import Sequence
from xml.etree import ElementTree

from PIL import Image

from ..ipc.errors import ImageError
from .batch import PairResult
from .picture import display_copy

IMAGES = "images"


def write_report(folder: str, pairs: Sequence[PairResult], actual_folder: str, expected_folder: str) -> str:
    """Write the three files (and the pictures under OUT/images/); returns the index.html path."""
    try:
        os.makedirs(os.path.join(folder, IMAGES), exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot make the report folder {folder}: {exc.strerror}") from None
    ordered = sorted(pairs, key=lambda p: (p.passed, p.name))  # failures first, then by name
    entries = [_entry(folder, n, pair) for n, pair in enumerate(ordered, 1)]
    facts = {"created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
             "actual_folder": actual_folder, "expected_folder": expected_folder,
             "passed": sum(p.passed for p in pairs), "failed": sum(not p.passed for p in pairs),
             "pairs": entries}
    try:
        with open(os.path.join(folder, "report.json"), "w", encoding="utf-8") as f:
            json.dump(facts, f, indent=2)
        _junit(ordered, entries).write(os.path.join(folder, "junit.xml"), encoding="utf-8", xml_declaration=True)
        index = os.path.join(folder, "index.html")
        with open(index, "w", encoding="utf-8") as f:
            f.write(_page(facts))
    except OSError as exc:
        raise ImageError(f"cannot write the report in {folder}: {exc.strerror}") from None
    return index


def _save(folder: str, name: str, image: Image.Image | None) -> str | None:
    if image is None:
        return None
    relative = f"{IMAGES}/{name}.png"
    image.save(os.path.join(folder, relative))
    return relative


def _entry(folder: str, number: int, pair: PairResult) -> dict[str, object]:
    result = pair.result
    entry: dict[str, object] = {"name": pair.name, "passed": pair.passed, "summary": pair.summary(),
                                "actual_file": pair.actual_path, "expected_file": pair.expected_path,
                                "problem": pair.problem or None}
    if result is not None:
        entry.update(result.as_dict())
    from . import load_side
    pictures: dict[str, Image.Image | None] = {"expected": None, "actual": None, "diff": None}
    for side, path in (("expected", pair.expected_path), ("actual", pair.actual_path)):
        if path is not None:
            try:
                pictures[side] = display_copy(load_side(path))
            except ImageError:
                pass  # the problem already says why
    pictures["diff"] = result.diff if result is not None else None
    entry["images"] = {side: _save(folder, f"{number:04d}-{side}", image) for side, image in pictures.items()}
    return entry


def _junit(pairs: Sequence[PairResult], entries: list[dict[str, object]]) -> ElementTree.ElementTree:
    failures = sum(not p.passed for p in pairs)
    suite = ElementTree.Element("testsuite", name="imgshare compare", tests=str(len(pairs)),
                                failures=str(failures), errors="0", skipped="0")
    for pair, entry in zip(pairs, entries, strict=True):
        case = ElementTree.SubElement(suite, "testcase", classname="imgshare.compare", name=pair.name)
        if not pair.passed:
            failure = ElementTree.SubElement(case, "failure", message=pair.summary())
            images = entry.get("images") or {}
            failure.text = "\n".join([pair.summary()] + [f"{side}: {path}" for side, path in
                                                         dict(images).items() if path])  # type: ignore[call-overload]
    return ElementTree.ElementTree(suite)


def _figure_rows(entry: dict[str, object]) -> str:
    rows = []
    if entry.get("verdict") is not None:
        rows.append(("verdict", entry["verdict"]))
        rows.append(("size", "x".join(str(v) for v in entry["size"]) + f" {entry['mode']}"))  # type: ignore[attr-defined]
        rows.append(("differing pixels", f"{entry['differing_pixels']} of {entry['total_pixels']} "
                                         f"({100 * float(entry['ratio']):.3f}%)"))  # type: ignore[arg-type]
        rows.append(("allowed", entry["allowed_pixels"]))
        if entry.get("ignored_pixels"):
            rows.append(("ignored pixels", entry["ignored_pixels"]))
        if entry.get("antialiased_pixels"):
            rows.append(("anti-aliased pixels", entry["antialiased_pixels"]))
        if entry.get("ssim") is not None or entry.get("psnr") is not None:
            psnr = entry.get("psnr")
            rows.append(("PSNR", "∞ (equal)" if psnr is None else f"{psnr:.2f} dB"))
            rows.append(("SSIM", f"{entry['ssim']:.4f}" if entry.get("ssim") is not None else "–"))
    for side in ("expected", "actual"):
        rows.append((f"{side} file", entry.get(f"{side}_file") or "missing"))
    return "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)


def _pair_html(number: int, entry: dict[str, object]) -> str:
    passed = bool(entry["passed"])
    images: dict[str, str | None] = entry["images"]  # type: ignore[assignment]
    sides = [side for side in ("expected", "actual", "diff") if images.get(side)]
    first = "diff" if "diff" in sides and not passed else (sides[0] if sides else "")
    buttons = "".join(
        f'<button type="button" data-side="{side}" aria-pressed="{str(side == first).lower()}">'
        f'{side.capitalize()}</button>' for side in sides)
    data = " ".join(f'data-{side}="{html.escape(images[side] or "")}"' for side in sides)
    viewer = (f'<div class="viewer" {data}><div class="flip" role="group">{buttons}</div>'
              f'<img alt="{html.escape(str(entry["name"]))}: {first}" src="{html.escape(images.get(first) or "")}">'
              f'</div>') if sides else ""
    state = "passed" if passed else "failed"
    return (f'<section class="pair {state}" id="pair-{number}" data-name="{html.escape(str(entry["name"]))}">'
            f'<h2><span class="badge">{"PASS" if passed else "FAIL"}</span> {html.escape(str(entry["name"]))}</h2>'
            f'<p class="summary">{html.escape(str(entry["summary"]))}</p>'
            f'<div class="body">{viewer}<table>{_figure_rows(entry)}</table></div></section>')


def _page(facts: dict[str, object]) -> str:
    entries: list[dict[str, object]] = facts["pairs"]  # type: ignore[assignment]
    sections = "\n".join(_pair_html(n, e) for n, e in enumerate(entries, 1))
    title = f"imgshare compare: {facts['failed']} failed, {facts['passed']} passed"
    return _TEMPLATE.format(title=html.escape(title), created=html.escape(str(facts["created"])),
                            actual=html.escape(str(facts["actual_folder"])),
                            expected=html.escape(str(facts["expected_folder"])), sections=sections)


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; --fail: #c62828; --pass: #2e7d32; font-family: system-ui, sans-serif; }}
body {{ margin: 0 auto; max-width: 1200px; padding: 1rem; }}
header p {{ margin: .2rem 0; color: GrayText; }}
nav button, .flip button {{ font: inherit; padding: .3rem .8rem; border: 1px solid GrayText; background: Canvas;
  color: CanvasText; border-radius: .3rem; cursor: pointer; }}
button[aria-pressed="true"] {{ background: Highlight; color: HighlightText; }}
.pair {{ border: 1px solid GrayText; border-left: .4rem solid var(--pass); border-radius: .3rem;
  margin: 1rem 0; padding: .5rem 1rem; }}
.pair.failed {{ border-left-color: var(--fail); }}
.badge {{ font-size: .8rem; padding: .1rem .4rem; border-radius: .2rem; color: white; background: var(--pass); }}
.failed .badge {{ background: var(--fail); }}
.body {{ display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }}
.viewer img {{ display: block; min-width: min(100%, 256px); max-width: min(100%, 720px); margin-top: .5rem;
  image-rendering: pixelated;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px; cursor: pointer; }}
table {{ border-collapse: collapse; }} th {{ text-align: left; padding-right: 1rem; font-weight: 600; }}
body.only-failed .pair.passed, body.only-passed .pair.failed {{ display: none; }}
</style></head>
<body>
<header><h1>{title}</h1><p>Actual: {actual}</p><p>Expected: {expected}</p><p>Made {created}.
Click an image (or press Space over it) to flip between expected and actual.</p>
<nav><button type="button" data-filter="all" aria-pressed="true">All</button>
<button type="button" data-filter="failed" aria-pressed="false">Failed</button>
<button type="button" data-filter="passed" aria-pressed="false">Passed</button></nav></header>
<main>
{sections}
</main>
<script>
function show(viewer, side) {{
  const img = viewer.querySelector("img");
  img.src = viewer.dataset[side];
  img.alt = img.alt.replace(/: \\w+$/, ": " + side);
  viewer.dataset.shown = side;
  for (const b of viewer.querySelectorAll(".flip button")) {{
    b.setAttribute("aria-pressed", String(b.dataset.side === side));
  }}
}}
for (const viewer of document.querySelectorAll(".viewer")) {{
  viewer.dataset.shown = viewer.querySelector('button[aria-pressed="true"]').dataset.side;
  for (const b of viewer.querySelectorAll(".flip button")) {{
    b.addEventListener("click", () => show(viewer, b.dataset.side));
  }}
  const img = viewer.querySelector("img");
  img.tabIndex = 0;
  const flip = () => {{
    if (!("expected" in viewer.dataset && "actual" in viewer.dataset)) return;
    show(viewer, viewer.dataset.shown === "expected" ? "actual" : "expected");
  }};
  img.addEventListener("click", flip);
  img.addEventListener("keydown", (e) => {{ if (e.key === " ") {{ e.preventDefault(); flip(); }} }});
}}
for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => {{
  document.body.classList.toggle("only-failed", b.dataset.filter === "failed");
  document.body.classList.toggle("only-passed", b.dataset.filter === "passed");
  for (const o of document.querySelectorAll("nav button")) o.setAttribute("aria-pressed", String(o === b));
}});
</script>
</body></html>
"""

