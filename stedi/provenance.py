"""Where an Arrow result came from, in its schema metadata: what a notebook keeps to cite it.

- `stedi.run_id`: the run whose tables were read (the one readers saw, or the one `as_of` gave);
- `stedi.snapshot_ids`: JSON, each stored table read -> its Iceberg snapshot id;
- `stedi.consent_policy`: the policy that run built the tables under;
- `stedi.as_of`: as `as_of` was given (a run id, or the time in UTC), only when it was.

Landing tables are views over today's files, with no snapshot: they are not in `snapshot_ids`.
Read back with `json.loads(result.schema.metadata[b"stedi.snapshot_ids"])`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

from stedi.lake import TABLE_LOCATIONS

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.lake import Lake
    from stedi.time_travel import PointInTime

RUN_ID, SNAPSHOT_IDS, CONSENT_POLICY, AS_OF = "stedi.run_id", "stedi.snapshot_ids", "stedi.consent_policy", "stedi.as_of"
_STORED = tuple(name for name in TABLE_LOCATIONS if not name.endswith("_landing"))


def stamped(result: "pa.Table", lake: "Lake", committed: dict[str, str], point: "PointInTime | None",
            tables: Iterable[str]) -> "pa.Table":
    """`result` with its provenance: it read `tables` (stored ones count) from the metadata files
    `committed` names (table -> metadata file, what the read used), or as of `point`."""
    found = provenance(lake, committed, point, tables)
    metadata = {**(result.schema.metadata or {}), **{k.encode(): v.encode() for k, v in found.items()}}
    return result.replace_schema_metadata(metadata)


def provenance(lake: "Lake", committed: dict[str, str], point: "PointInTime | None",
               tables: Iterable[str]) -> dict[str, str]:
    names = sorted({t for t in tables if t in _STORED})
    if point is not None:
        snapshots = {n: point.tables[n].snapshot_id for n in names if n in point.tables}
        run_id = point.run_id or ""
        record = lake.run_record(run_id) if run_id else None
        policy = (record or {}).get("consent_policy") or _policy_of_snapshots(lake, committed, snapshots)
        return {RUN_ID: run_id, SNAPSHOT_IDS: json.dumps(snapshots), CONSENT_POLICY: policy, AS_OF: point.asked}
    state = lake.state()
    if state is not None and all(n in state.tables and state.tables[n].metadata_location == committed.get(n)
                                 for n in names):
        snapshots = {n: state.tables[n].snapshot_id for n in names}
        return {RUN_ID: state.run_id, SNAPSHOT_IDS: json.dumps(snapshots), CONSENT_POLICY: state.consent_policy}
    # A writer made a new state since this read began (or the lake predates state.json): what
    # the snapshots read say of the runs that wrote them.
    snapshots = {n: _current_snapshot(lake, committed[n]) for n in names if n in committed}
    summaries = [_summary(lake, committed[n], s) for n, s in snapshots.items() if s is not None]
    runs = sorted(s.get("stedi.run-id", "") for s in summaries)
    return {RUN_ID: runs[-1] if runs else "", SNAPSHOT_IDS: json.dumps(snapshots),
            CONSENT_POLICY: _policy_of_snapshots(lake, committed, snapshots)}


def tables_named(sql: str) -> set[str]:
    """The lake's tables a SQL statement names (every stored one if it cannot be parsed)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return set(_STORED)
    return {t.name.lower() for t in tree.find_all(exp.Table)} & set(TABLE_LOCATIONS)


def _current_snapshot(lake: "Lake", metadata_location: str) -> int | None:
    from stedi.store.iceberg_store import metadata_json

    return (metadata_json(lake.storage, metadata_location) or {}).get("current-snapshot-id")


def _summary(lake: "Lake", metadata_location: str, snapshot_id: int) -> dict[str, str]:
    from stedi.pipeline.changes import snapshot_summary

    return snapshot_summary(lake, metadata_location, snapshot_id) or {}


def _policy_of_snapshots(lake: "Lake", committed: dict[str, str], snapshots: dict[str, int | None]) -> str:
    """The consent policy the snapshots' runs recorded in them (every run commits it)."""
    found = {_summary(lake, committed[n], s).get("stedi.consent-policy", "") for n, s in snapshots.items()
             if s is not None and n in committed}
    return ",".join(sorted(p for p in found if p))
