"""Every mode crosses the bridge byte for byte, with all its metadata; compressed or not."""

from __future__ import annotations

import json

import pytest

from tests.bridge.cases import CASES
from tests.bridge.hosts import eventually


@pytest.mark.parametrize("compress", ["none", "zstd"])
def test_every_mode_palette_and_transparency_cross_exactly(hosts, address, compress):
    a, b = hosts
    sharer = a.peer("share", "camera")
    server = a.imgshare("bridge", "serve", "--key", "camera", "--listen", address, "--compress", compress)
    server.wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/camera", "--key", "camera-here")
    watcher = b.peer("watch", "camera-here")
    watcher.wait_for("watching")
    for name in CASES:
        sharer.write(name)
        sent = sharer.json_line()
        got = watcher.json_line()
        assert got["described"] == sent["described"], name  # pixels, palette, transparency, names, sequence, time
        assert got["missed"] == 0
    assert "zstd" not in server.stderr_text() or compress == "zstd"


def test_a_pulled_key_says_where_it_comes_from(hosts, address):
    a, b = hosts
    sharer = a.peer("share", "src")
    sharer.write("RGB")
    sharer.json_line()
    a.imgshare("bridge", "serve", "--key", "src", "--listen", address).wait_for("serving")
    b.imgshare("bridge", "pull", address, "--remote-key", "src", "--key", "dst")

    def info() -> dict | None:
        done = b.run("info", "--key", "dst", "--json")
        return json.loads(done.stdout) if done.returncode == 0 else None
    shown = eventually(lambda: (i := info()) and i.get("bridge") and i["bridge"]["state"] == "connected" and i,
                       what="the pulled key's info to name its bridge")
    assert shown["bridge"]["source"] == f"{address}/src"
    assert shown["bridge"]["remote_sender"] == "alive"
    assert shown["source_name"] == "case RGB – ü.png"
    text = b.run("info", "--key", "dst").stdout
    assert f"from:         {address}/src" in text
    assert "remote sender: alive" in text


def test_a_server_of_several_keys_is_pulled_by_name(hosts, address):
    a, b = hosts
    for key, case in (("left", "L"), ("right", "RGBA")):
        sharer = a.peer("share", key)
        sharer.write(case)
        sharer.json_line()
    a.imgshare("bridge", "serve", "--key", "left", "--key", "right", "--listen", address).wait_for("serving")
    unnamed = b.run("bridge", "pull", address)
    assert unnamed.returncode == 2
    assert unnamed.stderr == (f"imgshare: error: the server at {address} publishes several keys ('left', 'right'); "
                              "choose one with --remote-key or tcp://HOST:PORT/KEY\n")
    unknown = b.run("bridge", "pull", f"{address}/middle")
    assert unknown.returncode == 3
    assert unknown.stderr == (f"imgshare: error: the server at {address} publishes no key 'middle' (it publishes "
                              "'left', 'right')\n")
    b.imgshare("bridge", "pull", address, "--remote-key", "right", "--key", "r")
    eventually(lambda: (b.describe("r") or {}).get("mode") == "RGBA", what="the key chosen by --remote-key")


def test_a_pulled_stream_shows_its_rates_and_latency_in_words(hosts, address):
    """`imgshare info` on a pulled key: frames and bytes per second and the latency, in words and as
    numbers (the figures are the bench's business: here only that they are there and live)."""
    a, b = hosts
    a.imgshare("bridge", "serve", "--key", "rates", "--listen", address).wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/rates")
    a.peer("stream", "rates", "1000000", "30", "160", "90")

    def bridge() -> dict | None:
        done = b.run("info", "--key", "rates", "--json")
        return json.loads(done.stdout).get("bridge") if done.returncode == 0 else None
    shown = eventually(lambda: (s := bridge()) and s["frames_per_second"] > 0 and s["latency"] is not None and s,
                       what="the pulled key's rates")
    assert shown["bytes_per_second"] > 0 and shown["state"] == "connected"
    assert shown["words"].startswith(f"connected to {address}/rates: ")
    assert " frames/s, " in shown["words"] and "B/s, latency " in shown["words"] and shown["words"].endswith(" ms")
