"""Issue 21: a key pulled from another host is a local key to the C library, with no change to it.
Host A shares and serves, host B pulls (each its own IPC namespace, over loopback: tests/bridge/hosts.py),
and the C library's tool reads the pulled key on host B."""

from __future__ import annotations

import hashlib

from tests.bridge.hosts import Host, eventually, free_port
from tests.c.conftest import run_c


def test_the_c_library_reads_a_pulled_key_pixel_exact(c_build, tmp_path):
    a, b = Host("host A"), Host("host B")
    try:
        address = f"tcp://127.0.0.1:{free_port()}"
        sharer = a.peer("share", "camera")
        a.imgshare("bridge", "serve", "--key", "camera", "--listen", address).wait_for("serving")
        b.imgshare("bridge", "pull", f"{address}/camera", "--key", "camera-here")
        for case in ("RGB", "P+alpha"):
            sharer.write(case)
            sent = sharer.json_line()["described"]
            eventually(lambda sent=sent: b.describe("camera-here") == sent, what=f"the pulled {case} image on host B")
            out = tmp_path / f"{case}.raw"
            done = run_c(*b.inside(c_build.program("tool"), "receive", "camera-here", out))
            assert done.returncode == 0, done.stderr
            width, height = sent["size"]
            assert f"image {sent['mode']} {width}x{height}" in done.stdout, done.stdout
            assert hashlib.sha256(out.read_bytes()).hexdigest() == sent["pixels"], case
    finally:
        for host in (a, b):
            host.close()

