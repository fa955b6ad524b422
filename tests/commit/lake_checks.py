"""What a user checks of a lake after anything happened to it: every table readable, and no
file in a table's folders that no snapshot or metadata refers to."""

from __future__ import annotations

import json

from stedi import Lakehouse
from stedi.store.iceberg_store import IcebergStore, referenced_files

STORED = ("customer_trusted", "accelerometer_trusted", "step_trainer_trusted", "customer_curated",
          "machine_learning_curated", "quarantine")


def contents(house: Lakehouse) -> dict[str, list[str]]:
    """Every stored table's rows, read as a user reads them (sorted, as text)."""
    return {name: sorted(map(str, house.table(name).to_arrow().to_pylist())) for name in STORED}


def rows(house: Lakehouse, name: str) -> list[str]:
    """A table's rows as a user reads them: each as JSON text with its keys sorted, in order."""
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in house.table(name).to_arrow().to_pylist())


def same_built_tables(house: Lakehouse, other: Lakehouse) -> dict[str, int]:
    """Assert that every table `house` built (all but landing) holds, row for row, what `other`'s
    does; their row counts, for what the caller checks more."""
    built = {t.name: t.rows for t in house.tables() if t.zone != "landing"}
    assert built == {t.name: t.rows for t in other.tables() if t.zone != "landing"}
    for name in built:
        assert rows(house, name) == rows(other, name), name
    return built


def orphans(house: Lakehouse) -> list[str]:
    """Files in the tables' folders that the catalog's tables do not refer to (any snapshot kept),
    and spill files left in the lake; on a local disk or in S3 alike."""
    storage, properties = house.lake.storage, house.lake.storage.iceberg_properties()
    current = house.lake.store.metadata_locations()
    found = []
    for name in STORED:
        present = {e.relative for e in storage.files(house.lake.table_folder(name), recursive=True)}
        if name not in current:
            found += sorted(present)
            continue
        keep = {storage.relative(f) for f in referenced_files(current[name], properties)}
        table = IcebergStore.open(current[name], properties)
        for snapshot in table.metadata.snapshots:
            keep |= {storage.relative(task.file.file_path)
                     for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files()}
        found += sorted(present - keep)
    found += [e.relative for e in storage.files(".tmp", recursive=True)]
    return found


def visible_run(house: Lakehouse) -> str:
    state = house.lake.state()
    assert state is not None
    return state.run_id


def journal_left(house: Lakehouse) -> bool:
    return house.lake.storage.exists("journal.json")
