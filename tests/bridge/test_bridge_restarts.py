"""Either side killed and restarted, or the sender on the far host gone: the pulled key keeps its last
image meanwhile, says why, and images flow again without restarting the other side."""

from __future__ import annotations

import json
import signal

from tests.bridge.hosts import eventually


def _bridge_state(host, key: str) -> str | None:
    done = host.run("info", "--key", key, "--json")
    if done.returncode != 0:
        return None
    bridge = json.loads(done.stdout).get("bridge")
    return bridge["state"] if bridge else None


def _next_counter(watcher, after: int) -> int:
    while True:
        event = watcher.json_line(timeout=60)
        if event.get("counter", -1) > after:
            return event["counter"]


def _last_counter(watcher) -> int:
    event = watcher.json_line()
    while "counter" not in event:
        event = watcher.json_line()
    return event["counter"]


def test_a_killed_server_restarted_serves_the_puller_again(hosts, address):
    a, b = hosts
    serve = ("bridge", "serve", "--key", "live", "--listen", address)
    server = a.imgshare(*serve)
    server.wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/live")
    watcher = b.peer("watch", "live")
    watcher.wait_for("watching")
    a.peer("stream", "live", "1000000", "30", "97", "31")
    counter = _last_counter(watcher)
    server.signal(signal.SIGKILL)
    eventually(lambda: _bridge_state(b, "live") == "waiting for the server", what="the puller to wait for the server")
    kept = b.describe("live")
    assert kept is not None and kept["size"] == [97, 31]  # the last image stays under the key
    server = a.imgshare(*serve)
    server.wait_for("serving")
    after = _next_counter(watcher, counter)
    assert after > counter
    eventually(lambda: _bridge_state(b, "live") == "connected", what="the puller to say connected again")


def test_a_killed_puller_restarted_takes_its_key_back(hosts, address):
    a, b = hosts
    a.imgshare("bridge", "serve", "--key", "cam", "--listen", address).wait_for("serving")
    puller = b.imgshare("bridge", "pull", f"{address}/cam", "--key", "here")
    watcher = b.peer("watch", "here")
    watcher.wait_for("watching")
    a.peer("stream", "cam", "1000000", "30", "64", "48")
    counter = _last_counter(watcher)
    puller.signal(signal.SIGKILL)
    event = watcher.json_line()
    while not event.get("gone"):  # the pulled key's sender (the puller) died: followers are told
        event = watcher.json_line()
    b.imgshare("bridge", "pull", f"{address}/cam", "--key", "here")
    assert _next_counter(watcher, counter) > counter


def test_the_far_sender_gone_keeps_the_last_image_and_says_so(hosts, address):
    a, b = hosts
    sharer = a.peer("share", "src")
    sharer.write("P+alpha")
    shared = sharer.json_line()["described"]
    a.imgshare("bridge", "serve", "--key", "src", "--listen", address).wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/src")
    eventually(lambda: _bridge_state(b, "src") == "connected", what="the pull to connect")
    sharer.write("quit")  # the sender on host A stops: its share goes
    eventually(lambda: _bridge_state(b, "src") == "source gone", what="the pulled key to say the source is gone")
    assert b.describe("src") == shared  # the last image, unchanged
    text = b.run("info", "--key", "src").stdout
    assert "remote sender: gone" in text
    sharer = a.peer("share", "src")  # a new sender there: images flow again
    sharer.write("RGBA")
    again = sharer.json_line()["described"]
    eventually(lambda: b.describe("src") == again, what="the new sender's image on host B")
    eventually(lambda: _bridge_state(b, "src") == "connected", what="the pull to say connected again")
