"""The conformance vectors of docs/protocol.md §19 (tests/vectors/) read by the C library, also under
AddressSanitizer and UBSan: the key recipe and key rules, and every reference and hostile share made as
real System V objects at fresh keys and read as a receiver reads (a verified copy, a verified borrow,
the metadata alone), each giving the image or the situation its index expects. Then the C reader fuzzed
under the sanitizers, starting from those vectors."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.c.conftest import VECTORS, run_c
from tests.ipc_cleanup import objects_of

SANITIZERS = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"}

# What each kind of refusal says, in the C library's sentences (the exit code alone cannot tell them apart).
KIND_WORDS = {
    "not_shared": "nothing is shared",
    "foreign": "another program's",
    "collision": "collides with",
    "format": "imgshare (format",
    "damaged": "damaged",
    "checksum": "failed its checksum",
}


def manifest_line(vector: dict) -> str:
    """One line of the C runner's manifest (clients/c/tests/vectors.c) for a vector of index.json."""
    data = ["-" if entry is None else "*" if entry == "missing" else entry for entry in vector["data"]]
    semaphores = vector["semaphores"]
    values = ["-1"] if semaphores is None else [str(len(semaphores)), *map(str, semaphores)]
    return " ".join([vector["name"], vector["key"], "1" if vector.get("keep_key") else "0",
                     vector["control"] or "-", str(len(data)), *data, *values])


def read_set(c_build, tmp_path: Path, name: str, sanitized: bool) -> tuple[list[dict], dict[str, dict]]:
    vectors = json.loads((VECTORS / name / "index.json").read_text())
    manifest = tmp_path / f"{name}.manifest"
    manifest.write_text("".join(manifest_line(vector) + "\n" for vector in vectors))
    env = dict(os.environ, **SANITIZERS) if sanitized else None
    result = run_c(c_build.program("vectors", sanitized), "shares", VECTORS / name, manifest, timeout=300,
                   **({"env": env} if env else {}))
    assert result.returncode == 0 and result.stderr == "", result.stdout[-3000:] + result.stderr[-3000:]
    read = {line["name"]: line for line in map(json.loads, result.stdout.splitlines())}
    return vectors, read


def mismatches(vector: dict, got: dict) -> list[str]:
    """How what C read differs from what the vector expects (empty: it matches)."""
    expect, problems = vector["expect"], []
    if got["exit"] != expect["exit"]:
        problems.append(f"exit {got['exit']} ({got['message']!r}), expected {expect['exit']}")
        return problems
    kind = expect["kind"]
    if kind != "image":
        if KIND_WORDS[kind] not in got["message"]:
            problems.append(f"{kind}: the sentence {got['message']!r} does not say {KIND_WORDS[kind]!r}")
        return problems
    shown = {
        "mode": got["mode"], "width": got["width"], "height": got["height"], "sequence": got["sequence"],
        "epoch": int(got["epoch"], 16), "bgr": got["bgr"], "checksum": got["checksum"], "rows": got["rows"],
        "source_name": bytes.fromhex(got["source_name"]).decode(), "converted": got["converted"],
        "source_mode": "" if got["source_mode"] == got["mode"] else got["source_mode"],
    }
    wanted = {name: expect[name] for name in shown}
    wanted["epoch"] = int(expect["epoch"], 16)
    if "palette" in expect:
        shown["palette"], wanted["palette"] = got["palette"], expect["palette"]
        shown["palette_mode"], wanted["palette_mode"] = got["palette_mode"], expect["palette_mode"]
    transparency = expect.get("transparency")
    shown["transparency"] = {"kind": got["transparency_kind"]}
    if got["transparency_kind"] == 3:
        shown["transparency"]["alpha"] = got["transparency_alpha"]
    elif got["transparency_kind"]:
        shown["transparency"]["values"] = got["transparency_values"][:1 if got["transparency_kind"] == 1 else 3]
    wanted["transparency"] = transparency or {"kind": 0}
    shown["tags"] = json.loads(bytes.fromhex(got["tags"]) or b"{}")
    wanted["tags"] = expect.get("tags", {})
    for name in shown:
        if shown[name] != wanted[name]:
            problems.append(f"{name}: {shown[name]!r}, expected {wanted[name]!r}")
    return problems


@pytest.mark.parametrize("sanitized", [False, True], ids=["plain", "asan"])
@pytest.mark.parametrize("name", ["reference", "hostile"])
def test_c_reads_every_share_vector_as_its_index_says(c_build, tmp_path, name, sanitized):
    vectors, read = read_set(c_build, tmp_path, name, sanitized)
    assert len(read) == len(vectors) >= (25 if name == "reference" else 70)
    problems = {}
    for vector in vectors:
        got = read[vector["name"]]
        found = mismatches(vector, got)
        expect = vector["expect"]
        # the metadata alone: no pixels, so no checksum to fail; a borrow verifies as a copy does, except that
        # a slot whose pins are at their maximum cannot be borrowed (busy), though it can be copied (§10.5)
        info_exit = 0 if expect["kind"] == "checksum" else expect["exit"]
        borrow_exit = 5 if vector["name"] == "pin-at-max" else expect["exit"]
        if got["info_exit"] != info_exit:
            found.append(f"metadata alone: exit {got['info_exit']}, expected {info_exit}")
        if got["borrow_exit"] != borrow_exit:
            found.append(f"borrowed: exit {got['borrow_exit']} ({got['borrow_message']!r}), expected {borrow_exit}")
        if found:
            problems[vector["name"]] = found
    assert problems == {}


def test_c_follows_the_key_recipe_and_the_key_rules(c_build):
    for sanitized in (False, True):
        result = run_c(c_build.program("vectors", sanitized), "keys", VECTORS / "keys.txt", VECTORS / "key-text.txt")
        assert result.returncode == 0 and result.stderr == "", result.stdout + result.stderr
        assert result.stdout.startswith("ok ") and ", 0 failures" in result.stdout


@pytest.mark.parametrize("name", ["reference", "hostile"])
def test_fuzzed_control_blocks_and_descriptors_give_only_error_statuses_under_the_sanitizers(c_build, key, tmp_path,
                                                                                            name):
    """clients/c/tests/fuzz.c: 20,000 mutated control blocks and data segments read in memory, 300 made
    real at the key (with mutated semaphore values) and read by a receiver; only statuses 0, 1, 3, 4, 5
    with a sentence, no sanitizer report, no leak, nothing left behind."""
    vectors = json.loads((VECTORS / name / "index.json").read_text())
    manifest = tmp_path / "manifest"
    manifest.write_text("".join(manifest_line(vector) + "\n" for vector in vectors))
    seed = str(secrets.randbits(32))
    result = run_c(c_build.program("fuzz", True), VECTORS / name, manifest, key, "20000", "300", seed, timeout=300,
                   env=dict(os.environ, **SANITIZERS))
    assert result.returncode == 0, f"seed {seed}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.stdout.strip() == "ok 20000 300"
    assert result.stderr == ""  # no sanitizer report, no leak
    assert objects_of(key) == []  # the fuzzer removed every object it made
