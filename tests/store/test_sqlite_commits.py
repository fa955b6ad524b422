"""The local lake's commits through stedi/store/sqlite_commits.py (sqlite3, not SQLAlchemy): the
same catalog rows as pyiceberg's SqlCatalog, the same compare-and-set, a stale writer refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stedi.store.iceberg_store import IcebergStore
from stedi.store.sqlite_catalog import CATALOG, NAMESPACE, SqliteCatalog


def _store(lake: Path) -> IcebergStore:
    return IcebergStore(SqliteCatalog(lake / "catalog.db", lake.as_uri()))


def _parquet(lake: Path, name: str, ids: list[int]) -> str:
    folder = lake / "people" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), folder / name)
    return str(folder / name)


def _ids(store: IcebergStore, name: str = "people") -> list[int]:
    table = store.load(name)
    assert table is not None
    return sorted(table.scan().to_arrow()["id"].to_pylist())


SCHEMA = pa.schema([pa.field("id", pa.int64())])


def test_a_new_table_is_made_with_its_rows_in_one_metadata_file_and_one_catalog_row(tmp_path: Path) -> None:
    store = _store(tmp_path)
    done = store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "a.parquet", [2, 1])], {})

    assert _ids(store) == [1, 2]
    assert [p.name.split("-")[0] for p in (tmp_path / "people" / "metadata").glob("*.metadata.json")] == ["00000"]
    rows = sqlite3.connect(tmp_path / "catalog.db").execute(
        "SELECT catalog_name, table_namespace, table_name, metadata_location, iceberg_type FROM iceberg_tables").fetchall()
    assert rows == [(CATALOG, NAMESPACE, "people", done.metadata_location, "TABLE")]


def test_a_commit_built_on_a_table_another_writer_moved_on_never_loses_that_writers_rows(tmp_path: Path) -> None:
    """Refused as built (the catalog row names another file), then, as pyiceberg retries an append,
    made again on top of the other writer's snapshot: never over the stale one."""
    store = _store(tmp_path)
    store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "a.parquet", [1])], {})
    stale = store.load("people")
    moved = store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "b.parquet", [2])], {})
    assert stale is not None

    assert stale is not None and stale.metadata_location != moved.metadata_location

    stale.append(pa.table({"id": pa.array([9], pa.int64())}))  # built on the snapshot holding 1
    assert _ids(store) == [2, 9]
    history = [e.metadata_file for e in (store.load("people") or stale).metadata.metadata_log]
    assert moved.metadata_location in history


def test_the_catalog_moves_a_table_only_from_the_file_it_names(tmp_path: Path) -> None:
    from pyiceberg.exceptions import CommitFailedException
    from pyiceberg.table.update import AssertTableUUID, SetPropertiesUpdate

    store = _store(tmp_path)
    store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "a.parquet", [1])], {})
    table = store.load("people")
    assert table is not None
    catalog = store.catalog
    original = catalog._update_and_stage_table  # noqa: SLF001 - a writer slipping in after the check

    def meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        staged = original(*args, **kwargs)
        catalog._update_and_stage_table = original  # type: ignore[method-assign]
        store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "b.parquet", [2])], {})
        return staged

    catalog._update_and_stage_table = meanwhile  # type: ignore[method-assign]
    with pytest.raises(CommitFailedException):
        catalog.commit_table(table, (AssertTableUUID(uuid=table.metadata.table_uuid),),
                             (SetPropertiesUpdate(updates={"late": "yes"}),))
    assert _ids(store) == [2]
    assert "late" not in (store.load("people") or table).properties


def test_pyiceberg_sql_catalog_and_ours_read_each_others_commits(tmp_path: Path) -> None:
    """A lake made before (through SqlCatalog) goes on in ours, and SqlCatalog still reads it."""
    from pyiceberg.catalog.sql import SqlCatalog

    theirs = SqlCatalog(CATALOG, uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=tmp_path.as_uri())
    theirs.create_namespace(NAMESPACE)
    made = theirs.create_table((NAMESPACE, "people"), schema=SCHEMA, location=str(tmp_path / "people"))
    made.append(pa.table({"id": pa.array([1], pa.int64())}))

    store = _store(tmp_path)
    assert _ids(store) == [1]
    done = store.replace_contents("people", str(tmp_path / "people"), SCHEMA, [_parquet(tmp_path, "b.parquet", [5, 6])], {})

    again = theirs.load_table((NAMESPACE, "people"))
    assert again.metadata_location == done.metadata_location
    assert sorted(again.scan().to_arrow()["id"].to_pylist()) == [5, 6]
    theirs.engine.dispose()


def test_a_catalog_file_that_is_not_a_database_is_named_in_one_line(tmp_path: Path) -> None:
    from stedi.errors import StediError

    (tmp_path / "catalog.db").write_bytes(b"not a database" * 100)
    with pytest.raises(StediError, match="not a readable Iceberg catalog"):
        _store(tmp_path).load("people")
