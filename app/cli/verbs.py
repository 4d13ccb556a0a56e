"""The short verbs: info, key, remove, list, clean, gui, self-test; and the table of all verbs."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..exit_codes import OK, UsageError
from ..ipc import ChannelKind, ListedShare, clean, list_shares, open_receiver, remove_share, sysv_key
from .bridge import cmd_bridge
from .compare import cmd_compare
from .output import print_info
from .owners import owner_uid, user_name
from .receive import cmd_receive
from .send import cmd_send
from .table import fit, width

if TYPE_CHECKING:
    from ..ipc.qt import QtListedShare


def cmd_info(args: argparse.Namespace) -> int:
    with open_receiver(args.key, ChannelKind.of(args.qt)) as receiver:
        info = receiver.info(timeout=args.timeout)
    from ..bridge.origin import what
    print_info(info, args.json, None if args.qt else what(info))
    return OK


def cmd_key(args: argparse.Namespace) -> int:
    value = sysv_key(args.key_string)
    print(f"{value} {value:#010x}")
    return OK


def cmd_remove(args: argparse.Namespace) -> int:
    owner = owner_uid(args.key)  # read first: once removed, nothing says whose it was
    info = remove_share(args.key, force=args.force, timeout=args.timeout)
    detail = f" ({info.width}x{info.height} {info.mode}, sender pid {info.sender_pid})" if info else ""
    whose = f", which belonged to user {user_name(owner)}" if owner is not None and owner != os.getuid() else ""
    print(f"removed the share under key {args.key!r}{detail}{whose}")
    if info is not None and info.sender_alive and info.sender_pid != os.getpid():
        print(f"note: its sender (pid {info.sender_pid}) is still running and shares again under this key "
              f"on its next image (an animation's next frame, a watched file's change); to stop it for "
              f"good, stop that sender: kill {info.sender_pid}")
    return OK


# Columns of `list`: (title, width in terminal cells, right-aligned, may be cut). A column that is
# never cut (numbers: a sequence of a million, a pid) widens to its longest value instead.
_COLUMNS = (("KEY", 24, False, True), ("SIZE", 11, True, False), ("MODE", 5, False, False),
            ("SEQ", 5, True, False), ("PID", 7, True, False), ("STATE", 11, False, False),
            ("AGE", 7, True, False))


def _widths(rows: Sequence[tuple[str, ...]]) -> list[int]:
    return [size if cut else max([size, *(width(row[i]) for row in rows)])
            for i, (_, size, _, cut) in enumerate(_COLUMNS)]


def _row(values: tuple[str, ...], source: str, widths: Sequence[int]) -> str:
    cells = " ".join(fit(value, size, right=right)
                     for value, size, (_, _, right, _) in zip(values, widths, _COLUMNS, strict=True))
    return f"{cells}  {fit(source, 60).rstrip()}".rstrip()


def cmd_list(args: argparse.Namespace) -> int:
    shares: Sequence[ListedShare | QtListedShare]
    if args.qt:
        from ..ipc.qt import list_qt_shares
        shares = list_qt_shares()
    else:
        shares = list_shares()
    if args.json:
        print(json.dumps([{"shmid": s.shmid, "sysv_key": s.sysv_key, "size_bytes": s.size,
                           "attached": s.attached, "state": s.state, "problem": s.problem,
                           "data_segments": list(getattr(s, "data_segments", ())),
                           "info": s.info.as_dict() if s.info else None} for s in shares],
                         indent=2, sort_keys=True))
        return OK
    mine = f"of user {user_name(os.getuid())}; other users' shares are not listed"
    if not shares:
        print(f"no Qt shares {mine}" if args.qt else f"no imgshare shares {mine}")
        return OK
    rows: list[tuple[tuple[str, ...], str]] = []
    for s in shares:
        i = s.info
        if i is None:
            rows.append((("?", "", "", "", "", s.state, ""),
                         f"(segment {s.shmid}, System V key {s.sysv_key:#010x}: {s.problem})"))
            continue
        sequence = i.as_dict()["sequence"]  # None: the format carries none (Qt)
        rows.append(((i.key, f"{i.width}x{i.height}", i.mode, "-" if sequence is None else str(sequence),
                      str(i.sender_pid), s.state, f"{i.age:.0f}s"), i.source_name))
    titles = tuple(title for title, _, _, _ in _COLUMNS)
    widths = _widths([titles, *(values for values, _ in rows)])
    print(_row(titles, "SOURCE", widths))
    for values, source in rows:
        print(_row(values, source, widths))
    print(f"({len(shares)} {'Qt ' if args.qt else ''}share{'s' if len(shares) != 1 else ''} {mine})")
    return OK


def cmd_clean(args: argparse.Namespace) -> int:
    removed = clean(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for s in removed:
        if s.info is not None:
            print(f"{verb} stale share {s.info.key!r} (segment {s.shmid}, sender pid {s.info.sender_pid})")
        else:
            print(f"{verb} a stale share with nothing in it (segment {s.shmid}: {s.problem})")
    if not removed:
        print("no stale shares")
    return OK


def cmd_gui(args: argparse.Namespace) -> int:
    from ..views.window.app import run_gui
    if args.follow and not args.receive:
        raise UsageError("--follow goes with --receive")
    files = ([args.send] if args.send else []) + list(args.files)
    return run_gui(key=args.key, send_file=files, receive=args.receive, follow=args.follow)


def cmd_self_test(args: argparse.Namespace) -> int:
    from ..selftest import run_self_test
    return run_self_test(require_display=args.require_display)


COMMANDS = {"send": cmd_send, "receive": cmd_receive, "info": cmd_info, "key": cmd_key,
            "remove": cmd_remove, "list": cmd_list, "clean": cmd_clean, "gui": cmd_gui,
            "self-test": cmd_self_test, "compare": cmd_compare,
            "bridge": cmd_bridge}
