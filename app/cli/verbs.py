"""The short verbs: info, key, remove, list, clean, gui, self-test; and the table of all verbs."""

from __future__ import annotations

import json

from ..exit_codes import OK, UsageError
from ..ipc import clean, list_shares, remove_share, sysv_key
from .compare import cmd_compare
from .output import print_info
from .receive import cmd_receive, receiver_for
from .send import cmd_send


def cmd_info(args) -> int:
    print_info(receiver_for(args).info(timeout=args.timeout), args.json)
    return OK


def cmd_key(args) -> int:
    value = sysv_key(args.key_string)
    print(f"{value} {value:#010x}")
    return OK


def cmd_remove(args) -> int:
    info = remove_share(args.key, force=args.force, timeout=args.timeout)
    detail = f" ({info.width}x{info.height} {info.mode}, sender pid {info.sender_pid})" if info else ""
    print(f"removed the share under key {args.key!r}{detail}")
    return OK


def cmd_list(args) -> int:
    if args.qt:
        from ..ipc.qt import list_qt_shares
        shares = list_qt_shares()
    else:
        shares = list_shares()
    if args.json:
        print(json.dumps([{"shmid": s.shmid, "sysv_key": s.sysv_key, "size_bytes": s.size,
                           "attached": s.attached, "state": s.state, "problem": s.problem,
                           "info": s.info.as_dict() if s.info else None} for s in shares],
                         indent=2, sort_keys=True))
        return OK
    if not shares:
        print("no Qt shares" if args.qt else "no imgshare shares")
        return OK
    print(f"{'KEY':<20} {'SIZE':>11} {'MODE':<5} {'SEQ':>5} {'PID':>7} {'STATE':<11} {'AGE':>7}  SOURCE")
    for s in shares:
        i = s.info
        if i is None:
            print(f"{'?':<20} {'':>11} {'':<5} {'':>5} {'':>7} {'damaged':<11} {'':>7}  "
                  f"(segment {s.shmid}, System V key {s.sysv_key:#010x}: {s.problem})")
            continue
        print(f"{i.key[:20]:<20} {f'{i.width}x{i.height}':>11} {i.mode:<5} {i.sequence:>5} "
              f"{i.sender_pid:>7} {s.state:<11} {i.age:>6.0f}s  {i.source_name}")
    return OK


def cmd_clean(args) -> int:
    removed = clean(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for s in removed:
        print(f"{verb} stale share {s.info.key!r} (segment {s.shmid}, sender pid {s.info.sender_pid})")
    if not removed:
        print("no stale shares")
    return OK


def cmd_gui(args) -> int:
    from ..views.window import run_gui
    if args.follow and not args.receive:
        raise UsageError("--follow goes with --receive")
    return run_gui(key=args.key, send_file=args.send, receive=args.receive, follow=args.follow)


def cmd_self_test(args) -> int:
    from ..selftest import run_self_test
    return run_self_test()


COMMANDS = {"send": cmd_send, "receive": cmd_receive, "info": cmd_info, "key": cmd_key,
            "remove": cmd_remove, "list": cmd_list, "clean": cmd_clean, "gui": cmd_gui,
            "self-test": cmd_self_test, "compare": cmd_compare}
