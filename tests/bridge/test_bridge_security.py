"""CURVE: allowed clients get images; unknown keys, plaintext clients, the wrong server key and junk get
nothing, crash nothing, and cost the server one log line each. Without keys, only loopback."""

from __future__ import annotations

import socket
import stat

import pytest
import zmq

from imgshare.bridge import wire
from tests.bridge.hosts import eventually, free_port
from tests.conftest import run_cli


@pytest.fixture
def keys(tmp_path):
    """Key pairs made by `imgshare bridge keys`: the server's, an allowed client's, an unknown one's."""
    for name in ("server", "desk", "stranger"):
        done = run_cli("bridge", "keys", str(tmp_path / "keys"), name)
        assert done.returncode == 0, done.stderr
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "desk.key").write_text((tmp_path / "keys" / "desk.key").read_text())
    return tmp_path / "keys", allowed


def test_keys_are_made_once_with_the_secret_readable_by_its_owner_only(tmp_path):
    done = run_cli("bridge", "keys", str(tmp_path), "box")
    assert done.returncode == 0, done.stderr
    secret = tmp_path / "box.key_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert "secret-key" not in (tmp_path / "box.key").read_text()
    again = run_cli("bridge", "keys", str(tmp_path), "box")
    assert again.returncode == 1
    assert again.stderr.startswith("imgshare: error: ") and "already exists" in again.stderr
    assert again.stderr.count("\n") == 1


def _serve(host, address, keys):
    folder, allowed = keys
    server = host.imgshare("bridge", "serve", "--key", "secret", "--listen", address,
                           "--secret-key", str(folder / "server.key_secret"), "--allow", str(allowed))
    server.wait_for("serving")
    return server


def test_only_allowed_keys_get_images_and_each_refusal_is_one_line(hosts, address, keys):
    a, b = hosts
    folder, _ = keys
    sharer = a.peer("share", "secret")
    sharer.write("RGBA")
    shared = sharer.json_line()["described"]
    server = _serve(a, address, keys)
    stranger = b.imgshare("bridge", "pull", f"{address}/secret", "--key", "stranger", "--server-key",
                          str(folder / "server.key"), "--secret-key", str(folder / "stranger.key_secret"))
    plaintext = b.imgshare("bridge", "pull", f"{address}/secret", "--key", "plain")
    wrong_server = b.imgshare("bridge", "pull", f"{address}/secret", "--key", "wrong",
                              "--server-key", str(folder / "desk.key"), "--secret-key", str(folder / "desk.key_secret"))
    for refused in (stranger, plaintext, wrong_server):
        refused.wait_for("waiting for the server")
    eventually(lambda: sum("refused" in line for line in server.errors) >= 3, what="three refusals in the log")
    desk = b.imgshare("bridge", "pull", f"{address}/secret", "--key", "desk",
                      "--server-key", str(folder / "server.key"), "--secret-key", str(folder / "desk.key_secret"))
    eventually(lambda: b.describe("desk") == shared, what="the allowed client's copy")
    desk.wait_for("connected")
    refusals = [line for line in server.errors if "refused" in line]
    assert len(refusals) == 3, refusals  # one line each, though each client keeps retrying
    assert any("is not among the allowed keys" in line for line in refusals)
    assert any("plaintext client" in line for line in refusals)
    assert any("does not have this server's public key" in line for line in refusals)
    for key in ("stranger", "plain", "wrong"):
        assert b.describe(key) is None  # nothing reached their keys
    assert server.popen.poll() is None


def test_junk_on_the_port_crashes_nothing_and_reaches_no_key(hosts, address, port):
    """Bytes that are not ZeroMQ, and ZeroMQ messages that are not the bridge's (each of this version's
    refusals), cost the server one line each and a client pulling meanwhile nothing."""
    a, b = hosts
    sharer = a.peer("share", "j")
    sharer.write("L")
    first = sharer.json_line()["described"]
    server = a.imgshare("bridge", "serve", "--key", "j", "--listen", address)
    server.wait_for("serving")
    b.imgshare("bridge", "pull", f"{address}/j")
    eventually(lambda: b.describe("j") == first, what="the pulled copy before the junk")
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(256)) * 40, b"\xff" + b"\x00" * 8 + b"\x7f" * 60):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(junk)
            s.settimeout(2)
            try:
                s.recv(100)
            except OSError:
                pass
    request = wire.envelope(wire.Kind.REQUEST)
    context = zmq.Context()
    try:  # speaks ZeroMQ, but not the bridge's messages
        dealer = context.socket(zmq.DEALER)
        dealer.linger = 5000  # closing sends what is queued first
        dealer.connect(address)
        for parts in ([b"hello"], [request, b"{not json"], [request, b"[]"], [request, b'{"number": NaN}'],
                      [request, b'{"key": "j", "after": [1], "number": 1}'], [request, b"{}", b"extra"],
                      [b"IMGB\x01R", b"{}"], [b"IMGB\x09R", b"{}"], [wire.envelope(wire.Kind.FRAME), b"{}", b"x"],
                      [request, b"x" * 100000]):
            dealer.send_multipart(parts)
        dealer.close()
    finally:
        context.term()
    sharer.write("RGBA")  # the client pulling all along gets the next image
    second = sharer.json_line()["described"]
    eventually(lambda: b.describe("j") == second, what="the pulled copy after the junk")
    assert server.popen.poll() is None
    eventually(lambda: any("refused" in line for line in server.errors), what="the junk connections' line")
    logged = [line for line in server.errors if "refused" in line or "ignored" in line]
    assert len(logged) == 2, server.errors  # one for the junk bytes, one for the junk messages
    assert not any("Traceback" in line for line in server.errors)


def test_junk_at_a_server_with_keys_is_one_line_and_reaches_no_key(hosts, address, port, keys):
    """Bytes that are not ZeroMQ never get past a CURVE server's handshake either: one line names them
    as such, and an allowed client is served as before."""
    a, b = hosts
    folder, _ = keys
    sharer = a.peer("share", "secret")
    sharer.write("P+alpha")
    shared = sharer.json_line()["described"]
    server = _serve(a, address, keys)
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(256)) * 40):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(junk)
            s.settimeout(2)
            try:
                s.recv(100)
            except OSError:
                pass
    b.imgshare("bridge", "pull", f"{address}/secret", "--key", "desk", "--server-key", str(folder / "server.key"),
               "--secret-key", str(folder / "desk.key_secret"))
    eventually(lambda: b.describe("desk") == shared, what="the allowed client's copy after the junk")
    eventually(lambda: any("refused" in line for line in server.errors), what="the junk connections' line")
    refusals = [line for line in server.errors if "refused" in line or "ignored" in line]
    assert len(refusals) == 1 and "does not speak the bridge's protocol" in refusals[0], server.errors
    assert server.popen.poll() is None and not any("Traceback" in line for line in server.errors)


def test_listening_beyond_loopback_without_keys_is_refused(hosts):
    a, _ = hosts
    done = a.run("bridge", "serve", "--key", "k", "--listen", f"tcp://*:{free_port()}")
    assert done.returncode == 2
    assert done.stderr.startswith("imgshare: error: refusing to listen on")
    assert "--insecure" in done.stderr and done.stderr.count("\n") == 1


def test_insecure_listens_everywhere_when_asked(hosts):
    # In a network namespace of its own (only its own loopback), so nothing is opened to the machine's
    # networks while the test runs.
    a, _ = hosts
    isolated = a.start("-c", "import os, sys; os.execvp('unshare', ['unshare', '--net', sys.executable, '-m', "
                             f"'imgshare', 'bridge', 'serve', '--key', 'k', '--listen', 'tcp://*:{free_port()}', "
                             "'--insecure'])", name="insecure server")
    assert "without keys" in isolated.wait_for("serving")


@pytest.mark.parametrize(("args", "code", "sentence"), [
    (["serve", "--listen", "tcp://127.0.0.1:5999", "--secret-key", "/nonexistent.key_secret", "--allow", "."], 1,
     "cannot read the key file '/nonexistent.key_secret': no such file or folder"),
    (["serve", "--listen", "tcp://127.0.0.1:5999", "--secret-key", "x"], 2, "--secret-key and --allow go together"),
    (["pull", "tcp://127.0.0.1:5999/k", "--server-key", "x"], 2, "--server-key and --secret-key go together"),
    (["pull", "tcp://127.0.0.1:5999/k", "--remote-key", "j"], 2, "names the key 'k' and --remote-key names 'j'"),
    (["pull", "udp://h:1"], 2, "'udp://h:1' is not a bridge address"),
    (["serve", "--listen", "tcp://127.0.0.1:5999/k"], 2, "a listening address has no key in it"),
])
def test_bad_bridge_arguments_are_one_sentence(args, code, sentence):
    done = run_cli("bridge", *args)
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("imgshare: error: ") and sentence in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
