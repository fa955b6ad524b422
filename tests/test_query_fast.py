"""Reading without pyiceberg (stedi/store/snapshot_files.py, stedi/engines/duckdb_reader.py): each
snapshot records its data files in its own summary, and readers of the lake as the last run left
it read them from the metadata file alone. What they read must be what pyiceberg reads, and a
record that does not add up is never used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.io.pyarrow import schema_to_pyarrow

from stedi import Lakehouse
from stedi.query import STORED, needs_landing
from stedi.storage.local import LocalStorage
from stedi.store.iceberg_store import IcebergStore
from stedi.store.snapshot_files import DATA_FILES_PROPERTY, current_snapshot
from tests.api_lake import api_lake  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[1]


def test_every_table_reads_as_pyiceberg_reads_it(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """After two runs (the second changes tables by files removed and added): the same files,
    rows, snapshot and columns (with their descriptions) as through pyiceberg's manifests."""
    house, _ = api_lake
    committed = house.committed_locations()
    assert set(committed) == set(STORED)
    for name, location in committed.items():
        recorded = current_snapshot(house.lake.storage, location)
        assert recorded is not None, name
        table = house.open_table(location)
        assert sorted(recorded.files) == sorted(IcebergStore.data_files(name, table)), name
        assert recorded.rows == IcebergStore.info(name, table).rows
        assert recorded.snapshot_id == table.current_snapshot().snapshot_id
        # As pyiceberg converts the columns for a table handle: field docs, strings as DuckDB returns them.
        converted = schema_to_pyarrow(table.schema(), include_field_ids=False)
        expected = pa.schema([f.with_type(pa.string()) if f.type == pa.large_string() else f for f in converted])
        assert house.table(name).schema.equals(expected, check_metadata=True), name


def test_a_record_that_does_not_add_up_is_not_used(api_lake: tuple[Lakehouse, list[str]], tmp_path: Path) -> None:
    """A list missing a file, naming one too many, or absent (a lake made before it was
    recorded): None, which sends the reader to pyiceberg."""
    house, _ = api_lake
    location = house.committed_locations()["accelerometer_trusted"]
    metadata = json.loads(Path(location.removeprefix("file://")).read_text())
    storage = LocalStorage(tmp_path)
    current = next(s for s in metadata["snapshots"] if s["snapshot-id"] == metadata["current-snapshot-id"])
    listed = json.loads(current["summary"][DATA_FILES_PROPERTY])
    for i, wrong in enumerate([listed[:-1], listed + ["data/extra.parquet"], None]):
        if wrong is None:
            del current["summary"][DATA_FILES_PROPERTY]
        else:
            current["summary"][DATA_FILES_PROPERTY] = json.dumps(wrong)
        (tmp_path / f"{i}.metadata.json").write_text(json.dumps(metadata))
        assert current_snapshot(storage, str(tmp_path / f"{i}.metadata.json")) is None
    assert current_snapshot(storage, str(tmp_path / "missing.metadata.json")) is None


def test_the_cli_imports_no_pyiceberg_pandas_arrow_dataset_or_sqlglot(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """`stedi query` over a stored table, in a process of its own: its answer is the count
    DuckDB gives over the files pyiceberg lists, and none of those modules was imported."""
    house, _ = api_lake
    table = house.open_table(house.committed_locations()["machine_learning_curated"])
    files = IcebergStore.data_files("machine_learning_curated", table)
    expected = duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r})").fetchone()[0]  # type: ignore[index]
    script = ("import sys\nfrom stedi.cli.main import main\n"
              f"code = main(['query', 'SELECT count(*) AS n FROM machine_learning_curated', '--lake', {house.path!r}, "
              "'--format', 'csv'])\n"
              "heavy = [m for m in ('pyiceberg', 'pandas', 'pyarrow.dataset', 'sqlglot') if m in sys.modules]\n"
              "print('imported:', heavy)\nsys.exit(code)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert done.stdout.splitlines() == ["n", str(expected), "imported: []"]


def test_a_query_naming_no_table_of_the_lake_still_sees_the_landing_tables(
        api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    shown = set(house.query("SHOW TABLES").column("name").to_pylist())
    assert {"customer_landing", "machine_learning_curated"} <= shown
    assert needs_landing(set()) and needs_landing({"customer_landing", "quarantine"}) and needs_landing({"x"})
    assert not needs_landing({"quarantine", "customer_trusted"})


def test_rows_print_as_arrow_prints_them(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """DuckDB's own rows where their types print alike; Arrow where they would not (a FLOAT)."""
    house, _ = api_lake
    header, rows = house.query_rows("SELECT count(*) AS n, 'a' AS s FROM customer_trusted")  # type: ignore[misc]
    assert header == ["n", "s"] and rows == [(301, "a")]
    floats = house.query_rows("SELECT 0.1::FLOAT AS f FROM customer_trusted LIMIT 1")
    assert not isinstance(floats, tuple) and floats.schema.field("f").type == "float"
    with pytest.raises(Exception, match="read-only"):
        house.query_rows("COPY (SELECT 1) TO '/tmp/x.csv'")
