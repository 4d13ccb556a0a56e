"""The built binary carries the bridge: CURVE keys, a compressed serve on one host and a pull on
another (two IPC namespaces), pixel-exact."""

from __future__ import annotations

import pytest

from tests.bridge.hosts import Host, free_port
from tests.conftest import wait_until


@pytest.fixture
def two_hosts():
    made = [Host("host A"), Host("host B")]
    yield made
    for host in made:
        host.close()


def _binary(host: Host, binary, *args: str, name: str):
    return host.start("-c", f"import os; os.execv({str(binary)!r}, {['imgshare', *args]!r})", name=name)


def test_the_binary_serves_and_pulls_with_keys_and_zstd(binary, two_hosts, tmp_path):
    a, b = two_hosts
    keys = tmp_path / "keys"
    for name in ("server", "desk"):
        made = _binary(a, binary, "bridge", "keys", str(keys), name, name=f"keys {name}")
        assert made.popen.wait(60) == 0, made.stderr_text()
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "desk.key").write_text((keys / "desk.key").read_text())
    address = f"tcp://127.0.0.1:{free_port()}"
    sharer = a.peer("share", "frozen")
    sharer.write("P+alpha")
    shared = sharer.json_line()["described"]
    _binary(a, binary, "bridge", "serve", "--key", "frozen", "--listen", address, "--compress", "zstd",
            "--secret-key", str(keys / "server.key_secret"), "--allow", str(tmp_path / "allowed"),
            name="frozen server").wait_for("serving")
    _binary(b, binary, "bridge", "pull", f"{address}/frozen", "--server-key", str(keys / "server.key"),
            "--secret-key", str(keys / "desk.key_secret"), name="frozen puller")
    wait_until(lambda: b.describe("frozen") == shared, timeout=60, what="the frozen puller's exact copy")
