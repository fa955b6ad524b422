"""The columns' descriptions reach the stored tables as Iceberg field docs (pipeline/committing.py,
store/iceberg_store.py): on a new lake, and on a lake built before the descriptions existed."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.models import table_docs
from stedi.reader import STORED_TABLES
from tests.conftest import customer, deliver, reading, step

A = "a@test.com"


def field_docs(house: Lakehouse, name: str) -> dict[str, str | None]:
    table = house.committed(name)
    assert table is not None, name
    return {f.name: f.doc for f in table.schema().fields}


def first_delivery(house: Lakehouse, root: Path) -> None:
    deliver(house, root, 1, customer=[customer(A, "s1", updated=1000, consent=100)],
            accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500), '{"broken'])


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    root = tmp_path_factory.mktemp("docs")
    made = Lakehouse(root / "lake", create=True)
    first_delivery(made, root)
    made.run()
    return made


def test_every_stored_table_has_its_columns_described(house: Lakehouse) -> None:
    docs = table_docs()
    for name in STORED_TABLES:
        assert field_docs(house, name) == docs[name], name


def test_the_arrow_schema_read_carries_each_doc_under_b_doc(house: Lakehouse) -> None:
    schema = house.table("machine_learning_curated").to_arrow().schema
    assert schema.field("sensorreadingtime").metadata[b"doc"].decode() == (
        "when both readings were taken (step trainer and phone, same millisecond), in epoch milliseconds (UTC)")
    assert b"SHA-256" in schema.field("customer_key").metadata[b"doc"]


def test_a_lake_built_before_the_docs_gets_them_at_the_next_full_run(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    first_delivery(house, tmp_path)
    with monkeypatch.context() as m:  # as a lake made by a stedi without descriptions
        m.setattr("stedi.pipeline.committing.table_docs", lambda: {})
        house.run()
    assert set(field_docs(house, "customer_accepted").values()) == {None}
    before = {name: house.committed(name).metadata for name in STORED_TABLES}  # type: ignore[union-attr]
    rows = sorted(house.table("machine_learning_curated").to_arrow().to_pylist(), key=repr)

    house.run(full=True)  # the same rows: only the descriptions are new
    for name in STORED_TABLES:
        table = house.committed(name)
        assert table is not None
        assert field_docs(house, name) == table_docs()[name], name
        # One new schema, in the very commit of the snapshot that uses it: one metadata file more.
        assert table.metadata.current_schema_id == before[name].current_schema_id + 1, name
        assert table.current_snapshot().schema_id == table.metadata.current_schema_id, name  # type: ignore[union-attr]
        assert len(table.metadata.metadata_log) == len(before[name].metadata_log) + 1, name
    assert sorted(house.table("machine_learning_curated").to_arrow().to_pylist(), key=repr) == rows
    snapshots = {t.name: t.snapshot_id for t in house.tables()}
    house.run(full=True)  # described now: a rerun with the same rows commits nothing
    assert {t.name: t.snapshot_id for t in house.tables()} == snapshots
