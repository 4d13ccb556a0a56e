"""The Receiver takes a bridge server's address where a key goes (tcp://host:port/KEY): Receive pulls
the newest image, Follow pulls each new one in the background with its frame rate, missed count and
the bridge's state in words; a server that goes away and comes back is followed on."""

from __future__ import annotations

import signal

import pytest

from tests.bridge.hosts import Host, free_port
from tests.gui.support import pump_until

WAIT = 60  # deadline for what needs programs started on a loaded machine; each wait ends once it holds


@pytest.fixture
def far_host():
    """Another host (an IPC namespace of its own) streaming 97x61 frames under 'cam' at 20 a second."""
    host = Host("host A")
    try:
        host.peer("stream", "cam", "1000000", "20", "97", "61")
        yield host
    finally:
        host.close()


def _serve(host: Host, address: str):
    server = host.imgshare("bridge", "serve", "--key", "cam", "--listen", address)
    server.wait_for("serving", WAIT)
    return server


def test_receive_and_follow_a_remote_address(make_app, far_host):
    address = f"tcp://127.0.0.1:{free_port()}"
    server = _serve(far_host, address)
    source = f"{address}/cam"
    app = make_app(key=source)
    tab = app.receiver
    app.notebook.select(tab)
    assert tab.key_field.sysv_text == f"a bridge server at 127.0.0.1:{address.rsplit(':', 1)[1]}, key 'cam'"
    tab.receive_button.invoke()
    pump_until(app, lambda: tab.got is not None, WAIT, "the pulled image")
    assert tab.got.image.size == (97, 61) and tab.got.info.key == source
    assert tab.panel.value("Key") == source
    assert app.status.text.startswith(f"Received 97x61 RGB under key {source!r}")

    seen = []
    show = tab.show_followed
    tab.show_followed = lambda got: (seen.append(got.info.sequence), show(got))
    tab.follow_check.invoke()
    pump_until(app, lambda: len(seen) >= 10, WAIT, "ten followed frames")
    assert seen == sorted(set(seen))  # in order, none twice
    pump_until(app, lambda: "fps shown" in tab.panel.value("Frame rate") and "missed" in tab.panel.value("Frame rate"),
               WAIT, "the frame rate and missed count")
    assert app.status.text.startswith("Following") and source in app.status.text
    assert tab.panel.value("Sender").endswith("on the far host")

    server.signal(signal.SIGKILL)
    pump_until(app, lambda: app.status.text.startswith(f"Waiting for the server at {source}"), WAIT,
               "the bridge to say it waits for the server")
    assert tab.got is not None and tab.follow.gone  # the last image stays on screen
    count = len(seen)
    _serve(far_host, address)
    pump_until(app, lambda: len(seen) > count and not tab.follow.gone, WAIT, "frames again from the new server")
    assert app.status.text.startswith(f"Following connected to {source}")
    assert seen == sorted(set(seen))


def test_a_bad_address_says_so_in_one_sentence(make_app):
    app = make_app(key="tcp://127.0.0.1:99999/cam")
    tab = app.receiver
    app.notebook.select(tab)
    assert tab.key_field.sysv_text.startswith("invalid address: ")
    tab.receive_button.invoke()
    pump_until(app, lambda: "no valid port" in app.status.text, WAIT, "the address error")
