"""A forget wins over a tag: a tagged version of the lake loses the people a forget erases.

A tag keeps a past snapshot of each table from retention (stedi/time_travel/tags.py); a forget
expires every snapshot but the current one, so that its people cannot be read back. Before that
expiry (in its finishing step, stedi/forget/finish.py, done by the forget or, if it stopped after
its commit point, by the next writer), each tag that names a snapshot other than the table's
current one is moved to a rewritten snapshot: the tagged snapshot's rows, less every row of the
people erased. Then the old snapshot is expired as any other.

"A row of the people" is decided by the erasure report alone (`erasures/<id>/report.json`, keyed
hashes: the forget's people are not known otherwise once it is committed), by each table's owner
column, as erasure decides whose landing line a line is (stedi/forget/person.py):
- `email` (customer tables) and `user` (phone readings): any spelling of their emails (the
  report's hash of the email normalized, or of a spelling found in landing);
- `customer_key` (machine_learning_curated): the keyed hash of a spelling of their emails, which
  is what customer_key is;
- `serialnumber` (step-trainer readings): a serial number only they held;
- `raw` (quarantine): a rejected line holding one of their emails or serial numbers as a JSON
  string, the rule by which runs keep forgotten people's rejected lines out
  (stedi/pipeline/forgotten.py). Such a line goes whole, also another customer's line that
  only mentions them.
Other customers' rows that mention them elsewhere (their phone in someone else's record, say)
are not changed in the tagged version: the report keeps no phone, and in the stored tables a
row's personal fields are its owner's own. Only the files holding a row that goes are rewritten;
the others stay shared with the old snapshot.

One commit per table moves every tag of it that must move: a temporary branch at the tagged
snapshot, the rewrite committed to it, the tag set to its head, the branch removed. The new
snapshot names the erasure (`stedi.erasure-id`), so a finish done again skips what is done.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from stedi.pipeline.forgotten import EMAIL, EMAIL_CI, SERIAL, Forgotten, keyed_hash, normalized, report_path
from stedi.time_travel.tags import RESERVED_PREFIX, read_tag, tag_names, write_tag

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import Table

    from stedi.lake import Lake

Say = Callable[[str], None]
ERASURE_PROPERTY = "stedi.erasure-id"  # in the summary of a tagged snapshot a forget rewrote
Match = Callable[["pa.Table"], "pa.Array | None"]  # the rows of the people (None: none here)


def move_tags(lake: "Lake", erasure_id: str, say: Say) -> list[str]:
    """Move every tag whose snapshot holds rows of the erasure's people to a snapshot without
    them; the tags moved (by this call or an earlier one for this erasure), by name."""
    state = lake.state()
    people = _people(lake, erasure_id)
    if state is None or not people:
        return []
    match = _matcher(lake.pseudonym_key, people)
    moved: dict[str, dict[str, int]] = {}
    store = lake.store
    for name in state.tables:
        table = store.load(name)  # the catalog's: a finish done again finds its earlier moves there
        if table is None:
            continue
        for tag, snapshot_id in _tags_of(table).items():
            snapshot = table.snapshot_by_id(snapshot_id)
            if snapshot is not None and snapshot.summary is not None and snapshot.summary[ERASURE_PROPERTY] == erasure_id:
                moved.setdefault(tag, {})[name] = snapshot_id  # moved already
                continue
            if snapshot_id == table.metadata.current_snapshot_id:
                continue  # the forget's own result: nothing of theirs
            new_id = _rewrite(table, name, tag, snapshot_id, match, erasure_id)
            if new_id is not None:
                say(f"moved tag {tag} of {name} to a snapshot without the people erased")
                moved.setdefault(tag, {})[name] = new_id
                table = store.load(name) or table
    for tag, tables in moved.items():
        _record_move(lake, tag, erasure_id, tables)
    return sorted(moved)


def _people(lake: "Lake", erasure_id: str) -> Forgotten:
    """The erasure's people, as its report names them (keyed hashes)."""
    found = Forgotten()
    text = lake.storage.read_text(report_path(erasure_id))
    report = json.loads(text) if text else {}
    for person in report.get("people", []):
        found.add(EMAIL_CI if person.get("normalized") else EMAIL, person["customer_key"], 0)
        for key in person.get("spelling_keys", []):
            found.add(EMAIL, key, 0)
        for key in person.get("serial_keys", []):
            found.add(SERIAL, key, 0)
    return found


def _matcher(key: str, people: Forgotten) -> Match:
    import pyarrow as pa
    import pyarrow.compute as pc

    spelled, folded, serials = (set(people.erased[k]) for k in (EMAIL, EMAIL_CI, SERIAL))

    def theirs(kind: str, value: str) -> bool:
        if kind == "customer_key":
            return value in spelled or value in folded
        if kind == "serialnumber":
            return keyed_hash(key, value) in serials
        if kind == "raw":
            return people.mentioned_in(value, key)
        return keyed_hash(key, value) in spelled or keyed_hash(key, normalized(value)) in folded

    def match(rows: "pa.Table") -> "pa.Array | None":
        kind = next((c for c in ("email", "user", "customer_key", "raw", "serialnumber") if c in rows.column_names), None)
        if kind is None or rows.num_rows == 0:
            return None
        values = rows.column(kind)
        found = [v for v in pc.unique(values).to_pylist() if v is not None and theirs(kind, str(v))]
        if not found:
            return None
        return pc.fill_null(pc.is_in(values, value_set=pa.array(found, values.type)), False)

    return match


def _tags_of(table: "Table") -> dict[str, int]:
    return {name: ref.snapshot_id for name, ref in table.metadata.refs.items()
            if getattr(ref.snapshot_ref_type, "value", ref.snapshot_ref_type) == "tag"}


def _rewrite(table: "Table", name: str, tag: str, snapshot_id: int, match: Match, erasure_id: str) -> int | None:
    """Commit the tagged snapshot less the people's rows and move the tag there; the new snapshot
    (None: the tagged one holds nothing of theirs, and stays)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from pyiceberg.io.pyarrow import parquet_file_to_data_file
    from pyiceberg.table.update.snapshot import ManageSnapshots

    gone, added = [], []
    for task in table.scan(snapshot_id=snapshot_id).plan_files():
        with table.io.new_input(task.file.file_path).open() as stream:
            rows = pq.read_table(stream)
        theirs = match(rows)
        if theirs is None or not pc.any(theirs).as_py():
            continue
        gone.append(task.file)
        kept = rows.filter(pc.invert(theirs))
        if kept.num_rows:
            path = f"{table.location()}/data/erasure-{erasure_id}/{uuid.uuid4().hex}.parquet"
            with table.io.new_output(path).create(overwrite=True) as stream:
                pq.write_table(kept, stream)
            added.append(path)
    if not gone:
        return None
    branch = f"{RESERVED_PREFIX}erasure-{erasure_id}"
    with table.transaction() as tx:
        if branch in tx.table_metadata.refs:  # left by nothing stedi does, but never committed onto
            ManageSnapshots(tx).remove_branch(branch).commit()
        ManageSnapshots(tx).create_branch(snapshot_id, branch).commit()
        properties = {ERASURE_PROPERTY: erasure_id, "stedi.rewritten-from": str(snapshot_id), "stedi.tag": tag}
        with tx.update_snapshot(snapshot_properties=properties, branch=branch).overwrite() as change:
            for data_file in gone:
                change.delete_data_file(data_file)
            for path in added:
                change.append_data_file(parquet_file_to_data_file(table.io, tx.table_metadata, path))
        new_id = tx.table_metadata.refs[branch].snapshot_id
        ManageSnapshots(tx).create_tag(new_id, tag).remove_branch(branch).commit()
    return new_id


def _record_move(lake: "Lake", tag: str, erasure_id: str, tables: dict[str, int]) -> None:
    """The tag's history says it moved, and why (the erasure, never whom); once per erasure."""
    record = read_tag(lake, tag) if tag in tag_names(lake) else None
    if record is None or any(e.get("erasure_id") == erasure_id for e in record.history):
        return
    event = {"event": "erased", "at_ms": int(time.time() * 1000), "erasure_id": erasure_id,
             "tables": sorted(tables), "snapshots": tables}
    write_tag(lake, replace(record, snapshots={**record.snapshots, **tables}, history=(*record.history, event)))
