"""`stedi tag NAME [RUN]`: name a run's version of the lake, so that it stays readable (`as_of=NAME`).

A tag is an Iceberg tag of that name on every stored table, at the snapshot the table had at the
run (stedi/time_travel/tags.py). Setting one changes each table's metadata, so tagging is a
writer like the others (stedi/commit/transaction.py): under the lock, with a journal naming each
table's metadata before, one commit per table (the tag set, nothing else), then `state.json`
naming the new metadata files as its commit point: same snapshots, same run, so readers see the
same run as before, and see the tag on every table or on none. The tag's record
(`tags/<name>/record.json`) changes with it: a new one is written into a folder the journal
names (an undo deletes it; once committed it stays, stedi/commit/recover.py's KEPT_ONCE_COMMITTED),
an existing one is replaced with its original kept aside (an undo puts it back).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from stedi.commit.transaction import writing
from stedi.errors import WARNING, StediError, UsageError, one_line
from stedi.pipeline.summary import new_run_id
from stedi.store.iceberg_store import Committed, IcebergStore
from stedi.time_travel import resolve
from stedi.time_travel.history import snapshot_log
from stedi.time_travel.tags import Tag, checked_name, read_tag, record_file, refs_named, tag_names

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from stedi.commit.state import LakeState
    from stedi.commit.transaction import WriterTransaction
    from stedi.lake import Lake

Say = Callable[[str], None]


def tag(lake: "Lake", name: str, run: str | None = None, wait: float | None = None, replace_existing: bool = False,
        say: Say | None = None) -> Tag:
    """Put the tag `name` on every stored table's snapshot of `run` (a run id, a time or another
    tag's name, as `as_of` takes; default: the run readers see now). An existing tag is refused
    unless `replace_existing`. Returns the tag's record."""
    name = checked_name(name)
    say = say or (lambda message: None)
    with writing(lake, "tag", wait, say) as tx:
        last = tx.last_state()
        if not last.tables:
            raise StediError(f"the lake {lake.root} has no run yet: `stedi run` builds its tables, then tag a run")
        tables = _tables(lake, last)
        record = read_tag(lake, name)
        if (refs_named(tables, name) or (record is not None and not record.deleted)) and not replace_existing:
            raise StediError(f"tag {name} exists already (run {record.run_id if record else '?'}); to move it, pass "
                             "replace=True (stedi tag --force)")
        run_id, wanted = _snapshots_of(lake, last, tables, run)
        now = int(time.time() * 1000)
        event = {"event": "moved" if record is not None and not record.deleted else "created", "at_ms": now,
                 "run_id": run_id, "snapshots": wanted}
        made = Tag(name, run_id, _utc(now), wanted, (*(record.history if record else ()), event))
        if record is not None and not record.deleted and (record.run_id, record.snapshots) == (run_id, wanted) \
                and refs_named(tables, name) == wanted:
            return record  # already so: nothing to write
        _change(lake, tx, last, tables, name, wanted, made, record, say)
        say(f"tagged run {run_id} as {name} ({len(wanted)} tables)")
        return made


def delete_tag(lake: "Lake", name: str, wait: float | None = None, say: Say | None = None) -> Tag:
    """Take the tag `name` off every table (retention may then expire its snapshots); its record
    stays, marked deleted, with its history."""
    name = checked_name(name)
    say = say or (lambda message: None)
    with writing(lake, "tag", wait, say) as tx:
        last = tx.last_state()
        tables = _tables(lake, last)
        record = read_tag(lake, name)
        if not refs_named(tables, name) and (record is None or record.deleted):
            raise StediError(f"no tag {name} in {lake.root} (`stedi tag --list` lists them)")
        now = int(time.time() * 1000)
        base = record or Tag(name, "", _utc(now))
        made = replace(base, deleted=True, snapshots={},
                       history=(*base.history, {"event": "deleted", "at_ms": now}))
        _change(lake, tx, last, tables, name, {}, made, record, say)
        say(f"deleted tag {name}")
        return made


def list_tags(lake: "Lake") -> list[Tag]:
    """Every tag the lake keeps (not the deleted ones), by name."""
    found = [read_tag(lake, n) for n in tag_names(lake)]
    return [t for t in found if t is not None and not t.deleted]


def _tables(lake: "Lake", last: "LakeState") -> dict[str, "Table"]:
    properties = lake.storage.iceberg_properties()
    return {n: IcebergStore.open(t.metadata_location, properties) for n, t in last.tables.items()}


def _snapshots_of(lake: "Lake", last: "LakeState", tables: dict[str, "Table"],
                  run: str | None) -> tuple[str, dict[str, int]]:
    """The run asked for and each table's snapshot at it (a table not built by then has none)."""
    if run is None:
        return last.run_id, {n: t.snapshot_id for n, t in last.tables.items() if t.snapshot_id is not None}
    point = resolve(lake, tables, run)
    wanted = {}
    for name, at in point.tables.items():
        if at.snapshot_id is not None:
            wanted[name] = at.snapshot_id
            continue
        log = snapshot_log(tables[name])
        if log and log[0][0] > point.moment_ms and log[0][1] is not None:
            continue  # the table was built later: the tag leaves it out, as that run's version had none
        raise StediError(f"cannot tag {point.describe()}: {at.problem}")
    if not wanted or point.run_id is None:
        raise StediError(f"cannot tag {point.describe()}: no table was built by then")
    return point.run_id, wanted


def _change(lake: "Lake", tx: "WriterTransaction", last: "LakeState", tables: dict[str, "Table"], name: str,
            wanted: dict[str, int], made: Tag, record: Tag | None, say: Say) -> None:
    """Set (or, where `wanted` leaves a table out, remove) the tag on each table that differs, and
    the record, all or nothing: state.json, naming the new metadata, is the commit point."""
    writer = new_run_id()
    scratch = f"tag-{writer}"
    folders = {"scratch": scratch} | ({"tag": record_file(name).rsplit("/", 1)[0]} if record is None else {})
    have = refs_named(tables, name)
    changing = sorted(n for n in set(have) | set(wanted) if have.get(n) != wanted.get(n))
    tx.begin(writer, folders, kept_aside=f"{scratch}/originals", noun="tag")
    with tx.changing(lambda error: _after_commit(error, name, say)):
        current = lake.store.metadata_locations()
        tx.before_commits({n: current.get(n) for n in changing})
        if record is None:
            lake.storage.write_atomic(record_file(name), made.text())  # in a folder the journal names
        else:
            lake.storage.write_atomic(f"{scratch}/staged.json", made.text())
            tx.replace_file(record_file(name), f"{scratch}/staged.json")
        state = replace(last, tables=dict(last.tables), writer=writer)
        for table_name in changing:
            done = tx.commit_table(table_name, lambda: _set_ref(lake, last, table_name, name, wanted.get(table_name)))
            state.tables[table_name] = replace(state.tables[table_name], metadata_location=done.metadata_location)
        tx.commit_point(state, announce=False)
    lake.storage.delete_tree(scratch)
    tx.tidy_up(lambda message: say(WARNING + message))


def _set_ref(lake: "Lake", last: "LakeState", table_name: str, name: str, snapshot_id: int | None) -> Committed:
    """One commit: the tag `name` at `snapshot_id` (None: removed), the table otherwise as it is."""
    from stedi.aws.faults import aws_failure

    store = lake.store
    table = store.load(table_name)
    if table is None or table.metadata.current_snapshot_id != last.tables[table_name].snapshot_id:
        raise StediError(f"table {table_name}: the catalog names another snapshot than the lake's state; "
                         "`stedi run` settles it, then tag again")
    try:
        change = table.manage_snapshots()
        (change.remove_tag(name) if snapshot_id is None else change.create_tag(snapshot_id, name)).commit()
    except Exception as e:
        fault = aws_failure(e, f"{store.access.describe()}, table {table_name}")
        if fault is None:
            raise
        raise fault from None
    return Committed(table.metadata.current_snapshot_id, table.metadata_location)


def _after_commit(error: BaseException, name: str, say: Say) -> BaseException | None:
    """After the commit point the tag is made: a Ctrl-C stops the command, anything else is a warning."""
    if isinstance(error, KeyboardInterrupt):
        return error
    say(f"{WARNING}tag {name} is made, but tidying up after it failed ({one_line(error)}); the next writer does")
    return None


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)
