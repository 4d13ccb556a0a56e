"""Bridge addresses as users type them: tcp://HOST:PORT, with a key after a slash on the pulling side
(tcp://camera-box:5555/front%20door), and whether a listening address stays on this machine."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..exit_codes import UsageError
from ..ipc import ImgShareError, validate_key

_TCP = re.compile(r"tcp://(?P<host>\[[^\]/]*\]|[^:/\[\]]*):(?P<port>[^/]*)(?P<path>/.*)?", re.DOTALL)
WILDCARDS = ("*", "0.0.0.0", "[::]")


@dataclass(frozen=True)
class Address:
    """A parsed address: the ZeroMQ endpoint, and the key its path names (pulling side only)."""

    text: str  # as the user typed it
    host: str
    port: int
    key: str | None = None

    @property
    def endpoint(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach it (127.0.0.0/8, ::1 or localhost)."""
        host = self.host.strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False  # a wildcard, an interface name or a host name: reachable from elsewhere


def parse_address(text: str, *, listening: bool) -> Address:
    """The address in text; UsageError with a sentence naming it as typed when it is not one."""
    match = _TCP.fullmatch(text)
    if match is None:
        raise UsageError(f"{text!r} is not a bridge address; write tcp://HOST:PORT"
                         + ("" if listening else " or tcp://HOST:PORT/KEY"))
    host, port_text, path = match["host"], match["port"], match["path"]
    if not host:
        raise UsageError(f"{text!r} names no host; write tcp://HOST:PORT")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise UsageError(f"{text!r} has no valid port; a port is a number from 1 to 65535")
    if host in WILDCARDS and not listening:
        raise UsageError(f"{text!r} names no host to connect to; write the server's name or address")
    key = None
    if path not in (None, "/"):
        if listening:
            raise UsageError(f"{text!r}: a listening address has no key in it; give the keys with --key")
        key = unquote(path[1:])
        try:
            validate_key(key)
        except ImgShareError as exc:
            raise UsageError(f"the key in {text!r} is not valid: {exc}") from None
    return Address(text, host, int(port_text), key)
