"""`stedi tag`: name a run's version of the lake (`--as-of NAME` reads it), list tags, delete one."""

from __future__ import annotations

import argparse
from typing import Callable

from stedi.errors import UsageError

Say = Callable[[str], None]
HELP = ("Name a run's version of the lake, to cite it and read it again later (`stedi query --as-of NAME`): "
        "an Iceberg tag on every table's snapshot of that run. Retention never expires a tagged snapshot; a "
        "forget still erases its people from it (the tag moves to a snapshot without them, and its history, "
        "tags/NAME/record.json, says so).")


def add_tag_command(sub: "argparse._SubParsersAction", command: Callable[..., argparse.ArgumentParser],
                    handler: Callable[[argparse.Namespace, Say], int],
                    wait_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = command("tag", handler, HELP)
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="the tag: a letter, then letters, digits, '-', '_' or '.' (e.g. paper-2026.1)")
    p.add_argument("run", nargs="?", metavar="RUN",
                   help="the run to tag: a run id, a time (as --as-of takes it) or another tag (default: the run "
                        "readers see now)")
    p.add_argument("--force", action="store_true", help="move the tag if it exists already")
    p.add_argument("--list", action="store_true", help="list the lake's tags, their runs and when they were made")
    p.add_argument("--delete", action="store_true",
                   help="take tag NAME off every table (its record and history stay in the lake)")
    wait_arg(p)


def cmd_tag(args: argparse.Namespace, status: Say) -> int:
    from stedi.lakehouse import Lakehouse

    if args.list:
        if args.name or args.run or args.delete or args.force:
            raise UsageError("stedi tag --list takes no tag name, run, --delete or --force")
        for tag in Lakehouse(args.lake).tags():
            made = tag.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
            moves = sum(1 for e in tag.history if e.get("event") == "erased")
            print(f"{tag.name}\trun {tag.run_id}\t{made}" + (f"\tchanged by {moves} forget(s)" if moves else ""))
        return 0
    if not args.name:
        raise UsageError("name the tag, e.g. stedi tag paper-2026 (or stedi tag --list)")
    house = Lakehouse(args.lake)
    if args.delete:
        if args.run or args.force:
            raise UsageError("stedi tag --delete NAME takes no run and no --force")
        house.delete_tag(args.name, wait=args.wait, progress=status)
        return 0
    tag = house.tag(args.name, args.run, wait=args.wait, replace=args.force, progress=status)
    print(f"{tag.name}: run {tag.run_id}, {len(tag.snapshots)} tables (read it with --as-of {tag.name})")
    return 0
