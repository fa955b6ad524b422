"""Reruns, atomic commits and the run summary, end to end on a small lake."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.engines.duckdb_engine import DuckDBEngine
from tests.conftest import customer, reading, step, write_delivery

A = "a@test.com"


@pytest.fixture
def house(tmp_path: Path) -> Lakehouse:
    delivery = write_delivery(
        tmp_path / "d",
        customer=[customer(A, "s1", consent=100), '{"email": "broken'],
        accelerometer=[reading(A, 50), reading(A, 500), reading(A, 600), "garbage"],  # 50: before consent
        step_trainer=[step("s1", 500), step("s1", 600)],
    )
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    return house


def contents(house: Lakehouse) -> dict[str, list]:
    return {t.name: sorted(map(str, house.table(t.name).to_arrow().to_pylist())) for t in house.tables()
            if t.zone != "landing"}


def test_rerun_without_new_data_leaves_rows_unchanged(house: Lakehouse) -> None:
    house.run()
    first = contents(house)
    house.run()
    assert contents(house) == first
    assert len(first["machine_learning_curated"]) == 2 and len(first["quarantine"]) == 2


def test_lines_read_equal_accepted_plus_quarantined(house: Lakehouse) -> None:
    summary = house.run()
    assert [(t.name, t.rows_in, t.rows_out, t.quarantined) for t in summary.tables[:3]] == [
        ("customer_landing", 2, 1, 1), ("accelerometer_landing", 4, 3, 1), ("step_trainer_landing", 2, 2, 0)]


def test_failed_run_leaves_every_table_at_its_earlier_snapshot(house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    house.run()
    before = {t.name: t.snapshot_id for t in house.tables()}
    files_before = sorted(p for p in Path(house.path).rglob("*.parquet"))
    real_write = DuckDBEngine.write_parquet

    def failing_write(self, name, sql, directory, cluster=None, order=()):  # type: ignore[no-untyped-def]
        if name == "step_trainer_trusted":
            raise RuntimeError("disk full")
        return real_write(self, name, sql, directory, cluster, order)

    monkeypatch.setattr(DuckDBEngine, "write_parquet", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        house.run(consent_policy="any-time")
    assert {t.name: t.snapshot_id for t in house.tables()} == before
    assert sorted(p for p in Path(house.path).rglob("*.parquet")) == files_before  # nothing left behind


def test_each_run_is_a_new_snapshot_with_its_policy(house: Lakehouse) -> None:
    house.run(consent_policy="any-time")
    table = house.committed("accelerometer_trusted")
    assert table is not None
    snapshot = table.current_snapshot()
    assert snapshot is not None and snapshot.summary is not None
    assert snapshot.summary["stedi.consent-policy"] == "any-time"
    house.run()  # strict: the reading before consent goes, a second snapshot
    table = house.committed("accelerometer_trusted")
    assert table is not None and len(table.history()) == 2


def test_line_numbers_survive_crlf_blank_lines_and_lone_carriage_returns(tmp_path: Path) -> None:
    good = '{"user": "a@test.com", "timestamp": 500, "x": 1, "y": 2, "z": 3}'
    folder = tmp_path / "d" / "accelerometer" / "landing"
    folder.mkdir(parents=True)
    (folder / "crlf.json").write_bytes(f"{good}\r\n\r\nbad one\r\n{good}\r\n".encode())
    (folder / "lone-cr.json").write_bytes(f"{good}\nbad\rtwo\n{good}\nbad three\n".encode())
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "d")
    summary = house.run()
    found = sorted((r["file"].split("/")[-1], r["line"], r["raw"]) for r in house.table("quarantine").to_arrow().to_pylist())
    assert ("crlf.json", 3, "bad one") in found
    assert ("lone-cr.json", 4, "bad three") in found
    assert ("lone-cr.json", 2, "bad\rtwo") in found  # the whole line, though the reader broke it
    assert summary.table("accelerometer_landing").rows_out == 4


def test_a_file_read_line_by_line_does_not_upset_the_files_after_it(tmp_path: Path) -> None:
    # The line of spaces makes the first file fall back to reading line by line; the second
    # is still numbered from positions.
    good = '{"user": "a@test.com", "timestamp": 500, "x": 1, "y": 2, "z": 3}'
    folder = tmp_path / "d" / "accelerometer" / "landing"
    folder.mkdir(parents=True)
    (folder / "a-spaces.json").write_text(f"{good}\n   \nbad one\n{good}\n")
    (folder / "b-plain.json").write_text(f"{good}\nbad two\n")
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "d")
    summary = house.run()
    found = sorted((r["file"].split("/")[-1], r["line"], r["raw"]) for r in house.table("quarantine").to_arrow().to_pylist())
    assert found == [("a-spaces.json", 3, "bad one"), ("b-plain.json", 2, "bad two")]
    assert summary.table("accelerometer_landing").rows_in == 5
    assert summary.table("accelerometer_landing").rows_out == 3


def test_rerun_without_changes_keeps_every_snapshot_and_leaves_no_files(house: Lakehouse) -> None:
    house.run()
    snapshots = {t.name: t.snapshot_id for t in house.tables()}
    files = sorted(Path(house.path).rglob("*.parquet"))
    house.run()
    assert {t.name: t.snapshot_id for t in house.tables()} == snapshots
    assert sorted(Path(house.path).rglob("*.parquet")) == files
    house.run(consent_policy="any-time")  # readings before consent now count: a new snapshot
    changed = {t.name for t in house.tables() if t.snapshot_id != snapshots[t.name]}
    assert "accelerometer_trusted" in changed and "customer_trusted" not in changed


def test_a_rerun_with_a_changed_model_commits_its_new_rows(house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full rebuild knows its rows from what they follow from (the files read, the policy, the
    # models' SQL), not from hashing them: new SQL must count as new rows, old SQL as the same.
    from dataclasses import replace

    from stedi.models import all_models
    from stedi.pipeline import build

    house.run(full=True)
    before = {t.name: (t.snapshot_id, t.rows) for t in house.tables()}
    assert before["machine_learning_curated"][1] > 0
    models = tuple(replace(m, sql=f"SELECT * FROM ({m.sql}) WHERE false") if m.name == "machine_learning_curated" else m
                   for m in all_models())
    monkeypatch.setattr(build, "all_models", lambda: models)
    house.run(full=True)
    after = {t.name: (t.snapshot_id, t.rows) for t in house.tables()}
    assert after["machine_learning_curated"][1] == 0
    assert after["machine_learning_curated"][0] != before["machine_learning_curated"][0]
    assert {k: v for k, v in after.items() if k != "machine_learning_curated"} == {
        k: v for k, v in before.items() if k != "machine_learning_curated"}


def test_a_run_records_which_landing_files_it_read(house: Lakehouse, tmp_path: Path) -> None:
    # The signature tells a later run whether new data came (it then prepares to commit).
    first = house.run()
    assert first.landing_signature == house.lake.landing_state().signature != ""
    more = write_delivery(tmp_path / "more", accelerometer=[reading(A, 700)])
    (more / "accelerometer" / "landing" / "accelerometer-1.json").rename(more / "accelerometer" / "landing" / "accelerometer-2.json")
    assert house.ingest(more).copied
    assert house.lake.landing_state().signature != first.landing_signature
    assert house.run().landing_signature == house.lake.landing_state().signature
