"""A run's commit step: each table it changed committed through the writer transaction, then
the commit point (stedi/commit/transaction.py). `stedi run` and `stedi forget` both end so."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Callable

from stedi.commit.state import LakeState, TableState
from stedi.models import table_docs
from stedi.pipeline import changes
from stedi.store.iceberg_store import with_docs

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.commit.transaction import WriterTransaction
    from stedi.engines.base import Engine
    from stedi.lake import Lake
    from stedi.pipeline.build import Built
    from stedi.pipeline.summary import RunSummary

Planned = Callable[["list[tuple[Built, pa.Schema | None]]"], None]


def commit_tables(lake: "Lake", tx: "WriterTransaction", engine: "Engine", built: "list[Built]",
                  summary: "RunSummary", last: LakeState, planned: Planned | None = None,
                  finish: str | None = None) -> None:
    """Commit each table the run changed. A full rebuild whose rows for a table are the very rows
    its current snapshot holds keeps that snapshot (a rerun without new data), and this run's
    files for it go. The journal first records every table's metadata before (and `finish`, what
    the writer leaves to finish once committed); the new state, written last, makes all commits
    visible at once. `planned`: told each table and its columns first (None: the snapshot it has
    stays). The engine's last work is the fingerprints; it closes in the background (freeing its
    memory and spill files takes seconds at scale) while the store commits."""
    store = lake.store
    current = store.metadata_locations()
    docs = table_docs()
    plans = []
    for b in built:
        # An incremental change is known by its files; only a full rebuild compares fingerprints.
        # The columns' descriptions count as the rows do: a table made before its columns had them
        # (or with others) gets them at the next full rebuild, unchanged rows or not.
        fingerprint = (b.fingerprint or engine.fingerprint(b.view)) + _docs_mark(docs.get(b.name)) \
            if b.remove is None else ""
        before = last.tables.get(b.name)
        unchanged = not b.changes or (before is not None and b.remove is None and before.fingerprint == fingerprint
                                      and current.get(b.name) == before.metadata_location and not b.properties)
        plans.append((b, fingerprint, None if unchanged else with_docs(engine.schema(b.view), docs.get(b.name, {}))))
    tx.before_commits({b.name: current.get(b.name) for b, _, schema in plans if schema is not None}, finish)
    if planned is not None:
        planned([(b, schema) for b, _, schema in plans])
    closing = threading.Thread(target=engine.close, name="stedi-close-engine")
    closing.start()
    try:
        state = LakeState(summary.run_id, summary.consent_policy, summary.landing_signature)
        properties = {"stedi.run-id": summary.run_id, "stedi.consent-policy": summary.consent_policy}
        results = {t.name: t for t in summary.tables}
        for b, fingerprint, schema in plans:
            if schema is None:
                lake.storage.delete_tree(b.directory)
                state.tables[b.name] = last.tables[b.name]
            else:
                read = {changes.READ_FILES_PROPERTY: b.read_files} if b.read_files else {}
                done = tx.commit_table(b.name, lambda: store.change_contents(
                    b.name, b.location, schema, b.remove, b.add, {**properties, **read, **b.properties}))
                state.tables[b.name] = TableState(done.metadata_location, done.snapshot_id, fingerprint, summary.run_id)
            if b.name in results:
                results[b.name].snapshot_id = state.tables[b.name].snapshot_id
        tx.commit_point(state, stamp=lambda ms: setattr(summary, "committed_at_ms", ms))
    finally:
        closing.join()


def _docs_mark(docs: dict[str, str] | None) -> str:
    """What a fingerprint says of a table's column descriptions."""
    return f";docs:{hashlib.sha256(json.dumps(docs, sort_keys=True).encode()).hexdigest()[:16]}" if docs else ""
