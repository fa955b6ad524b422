"""What a user checks of a lake after anything happened to it: every table readable, and no
file in a table's folders that no snapshot or metadata refers to."""

from __future__ import annotations

from pathlib import Path

from stedi import Lakehouse
from stedi.store.iceberg_store import IcebergStore, referenced_files

STORED = ("customer_trusted", "accelerometer_trusted", "step_trainer_trusted", "customer_curated",
          "machine_learning_curated", "quarantine")


def contents(house: Lakehouse) -> dict[str, list[str]]:
    """Every stored table's rows, read as a user reads them (sorted, as text)."""
    return {name: sorted(map(str, house.table(name).to_arrow().to_pylist())) for name in STORED}


def orphans(house: Lakehouse) -> list[str]:
    """Files in the tables' folders that the catalog's tables do not refer to (any snapshot kept)."""
    store = IcebergStore(house.lake.catalog_path)
    current = store.metadata_locations()
    found = []
    for name in STORED:
        location = house.lake.location(name)
        on_disk = {str(p) for p in location.rglob("*") if p.is_file()} if location.exists() else set()
        if name not in current:
            found += sorted(on_disk)
            continue
        keep = referenced_files(current[name])
        table = IcebergStore.open(current[name])
        for snapshot in table.metadata.snapshots:
            keep |= {task.file.file_path for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files()}
        found += sorted(on_disk - keep)
    spill = house.lake.temp_dir
    if spill.exists():
        found += [str(p) for p in spill.rglob("*")]
    return found


def visible_run(house: Lakehouse) -> str:
    state = house.lake.state()
    assert state is not None
    return state.run_id


def journal_left(house: Lakehouse) -> bool:
    return (Path(house.path) / "journal.json").exists()
