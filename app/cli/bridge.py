"""`imgshare bridge serve|pull|keys`: a key's images on another host, through ZeroMQ (app/bridge/).

zmq and the bridge package are imported only when a bridge verb runs: the other verbs start as fast
as before.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..exit_codes import OK, UsageError
from ..ipc import DEFAULT_KEY, ImgShareError
from ..lifecycle import StopSignals

if TYPE_CHECKING:
    from ..bridge.status import PullStatus

HELP = "carry a key's images to another host (serve here, pull there), through ZeroMQ"
RATES_PERIOD = 10.0  # seconds between the rate lines `pull` prints while connected


def add_bridge_arguments(p: argparse.ArgumentParser, key_type: Callable[[str], str]) -> None:
    verbs = p.add_subparsers(dest="bridge_verb", metavar="serve|pull|keys", required=True,
                             parser_class=type(p))
    s = verbs.add_parser("serve", help="publish what is shared under keys on this host",
                         description="Publish what is shared under one or more keys on this host to "
                                     "'imgshare bridge pull' on other hosts.")
    s.add_argument("--key", type=key_type, action="append", metavar="KEY",
                   help=f"a key to publish (repeat for several; default {DEFAULT_KEY!r})")
    s.add_argument("--listen", required=True, metavar="tcp://ADDR:PORT",
                   help="where to listen: tcp://127.0.0.1:5555 (this machine only), tcp://*:5555 (every "
                        "interface: needs keys or --insecure)")
    s.add_argument("--secret-key", metavar="FILE", help="this server's secret key (NAME.key_secret)")
    s.add_argument("--allow", metavar="DIR", help="a folder of the public keys (*.key) of the clients allowed")
    s.add_argument("--insecure", action="store_true",
                   help="listen beyond this machine without keys: anyone who reaches the port sees the images")
    s.add_argument("--compress", choices=("none", "zstd"), default="none",
                   help="compress images (lossless) for links slower than the frames (default none)")

    u = verbs.add_parser("pull", help="republish a bridge server's key here",
                         description="Fetch the images a bridge server publishes and share each one here, "
                                     "under a local key, exactly as it was shared there.")
    u.add_argument("address", metavar="tcp://HOST:PORT[/KEY]", help="the server, and optionally its key")
    u.add_argument("--key", type=key_type, metavar="KEY",
                   help="the key to share the images under here (default: the same key as there)")
    u.add_argument("--remote-key", type=key_type, metavar="KEY",
                   help="which of the server's keys to pull (needed when it publishes several)")
    u.add_argument("--server-key", metavar="FILE", help="the server's public key (its NAME.key)")
    u.add_argument("--secret-key", metavar="FILE", help="this client's secret key (NAME.key_secret)")
    u.add_argument("--compress", choices=("none", "zstd"), default="none",
                   help="ask the server to compress (lossless) for a link slower than the frames")

    k = verbs.add_parser("keys", help="make a CURVE key pair: DIR/NAME.key (public) and DIR/NAME.key_secret",
                         description="Make a CURVE key pair for the bridge: DIR/NAME.key is the public key "
                                     "(give it to the other side), DIR/NAME.key_secret the secret one "
                                     "(readable by you only).")
    k.add_argument("folder", metavar="DIR")
    k.add_argument("name", metavar="NAME")


def cmd_bridge(args: argparse.Namespace) -> int:
    return {"serve": _serve, "pull": _pull, "keys": _keys}[args.bridge_verb](args)


def _keys(args: argparse.Namespace) -> int:
    from ..bridge.keyfiles import make_key_pair
    public, secret = make_key_pair(args.folder, args.name)
    print(f"made {public} (public: give it to the other side) and {secret} (secret: keep it here)")
    return OK


def _serve(args: argparse.Namespace) -> int:
    from ..bridge.address import parse_address
    from ..bridge.keyfiles import load_allowed, load_secret
    from ..bridge.memory import keep_large_blocks
    from ..bridge.server import BridgeServer, Security
    stop = StopSignals("nothing was served")
    keep_large_blocks()
    address = parse_address(args.listen, listening=True)
    if bool(args.secret_key) != bool(args.allow):
        raise UsageError("--secret-key and --allow go together: the server's secret key, and the folder of "
                         "the public keys of the clients it lets in")
    security = None
    if args.secret_key:
        public, secret = load_secret(args.secret_key)
        security = Security(public, secret, load_allowed(args.allow))
    elif not address.loopback and not args.insecure:
        raise UsageError(f"refusing to listen on {args.listen!r} without keys: anyone who can reach it would "
                         "see the images; give --secret-key FILE and --allow DIR (make keys with 'imgshare "
                         "bridge keys DIR NAME'), listen on tcp://127.0.0.1:PORT, or add --insecure")
    keys = args.key or [DEFAULT_KEY]
    server = BridgeServer(keys, address, security=security, compress=args.compress)
    server.stop_event = stop.stop
    _bind(server, args.listen)
    try:
        how = f"with CURVE, {len(security.allowed)} client key(s) allowed" if security else "without keys"
        print(f"serving key{'s' if len(keys) > 1 else ''} {', '.join(repr(k) for k in server.keys)} on "
              f"{args.listen} {how}; pid {os.getpid()} (Ctrl+C to stop)", flush=True)
        server.serve()
    finally:
        server.close()
    return OK


def _bind(server: object, listen: str) -> None:
    import zmq

    from ..bridge.server import BridgeServer
    assert isinstance(server, BridgeServer)
    try:
        server.bind()
    except zmq.ZMQError as exc:
        server.close()
        if exc.errno == errno.EADDRINUSE:
            raise ImgShareError(f"cannot listen on {listen!r}: another program uses that port") from None
        if exc.errno in (errno.EADDRNOTAVAIL, errno.ENODEV, errno.EINVAL):
            raise ImgShareError(f"cannot listen on {listen!r}: it is not an address of this machine") from None
        raise ImgShareError(f"cannot listen on {listen!r}") from None


def _pull(args: argparse.Namespace) -> int:
    from ..bridge import origin
    from ..bridge.address import parse_address
    from ..bridge.keyfiles import load_public, load_secret
    from ..bridge.memory import keep_large_blocks
    from ..bridge.puller import ClientSecurity, Puller, ShareSink
    stop = StopSignals("nothing was pulled")
    keep_large_blocks()
    address = parse_address(args.address, listening=False)
    if args.remote_key and address.key and args.remote_key != address.key:
        raise UsageError(f"{args.address!r} names the key {address.key!r} and --remote-key names "
                         f"{args.remote_key!r}; give one of them")
    if bool(args.server_key) != bool(args.secret_key):
        raise UsageError("--server-key and --secret-key go together: the server's public key, and this "
                         "client's secret key")
    security = None
    if args.server_key:
        public, secret = load_secret(args.secret_key)
        security = ClientSecurity(public, secret, load_public(args.server_key))
    sink = ShareSink(args.key)
    printed: dict[str, object] = {"at": 0.0, "state": None}

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)

    def on_status(status: PullStatus) -> None:
        sender = sink.sender
        if sender is not None:
            origin.write(sender.sysv_key, _origin_fields(status))
        words = status.words()
        now = time.monotonic()
        at = printed["at"]
        assert isinstance(at, float)
        if status.state is not printed["state"] or now - at >= RATES_PERIOD:
            printed.update(at=now, state=status.state)
            print(f"{time.strftime('%H:%M:%S')} {words}", flush=True)

    remote = args.remote_key or address.key
    into = repr(args.key or remote) if args.key or remote else "the same key as there"
    print(f"pulling {args.address}{' key ' + repr(remote) if args.remote_key else ''} into {into} here; "
          f"pid {os.getpid()} (Ctrl+C to stop)", flush=True)
    origin.sweep()
    puller = Puller(address, sink, remote_key=args.remote_key, security=security,
                    compress=args.compress == "zstd", on_status=on_status, log=log)
    try:
        puller.run(stop.stop)
    finally:
        sink.close()
        if sink.sender is not None:
            origin.remove(sink.sender.sysv_key)
    return OK


def _origin_fields(status: PullStatus) -> dict[str, object]:
    return {"key": status.local_key, "address": status.address, "remote_key": status.remote_key,
            "source": status.source, "state": status.state.value, "words": status.words(),
            "remote_sender": status.remote_sender,
            "frames": status.frames, "frames_per_second": round(status.frames_per_second, 2),
            "bytes_per_second": round(status.bytes_per_second), "updated": time.time(),
            "latency": None if status.latency is None else round(status.latency, 4)}
