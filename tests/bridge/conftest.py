"""Fixtures of the bridge tests: two hosts (IPC namespaces), a free port, key pairs."""

from __future__ import annotations

import shutil

import pytest

from tests.bridge.hosts import Host, free_port


@pytest.fixture(scope="session", autouse=True)
def _namespaces_available():
    """The bridge tests need root (unshare --ipc) and util-linux's nsenter, as the suite has."""
    missing = [tool for tool in ("unshare", "nsenter") if shutil.which(tool) is None]
    assert not missing, f"the bridge tests need {missing} (util-linux)"


@pytest.fixture
def hosts():
    """Host A (where images are shared) and host B (where they are pulled), each its own IPC namespace."""
    made = [Host("host A"), Host("host B")]
    try:
        yield made
    finally:
        for host in made:
            host.close()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def address(port: int) -> str:
    return f"tcp://127.0.0.1:{port}"
