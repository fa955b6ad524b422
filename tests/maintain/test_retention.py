"""Snapshot retention after each run and by `stedi maintain`: Iceberg's meaning of keep_snapshots
and keep_days, no orphan left behind, every kept snapshot still readable whole, and readers
never without their tables, even when retention stops halfway."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.commit.state import LakeState
from stedi.maintain import retain
from stedi.maintain.retention import RetentionReport
from stedi.store.iceberg_store import IcebergStore
from tests.commit.lake_checks import STORED, contents, orphans
from tests.conftest import customer, reading, step, write_delivery

A, B = "a@test.com", "b@test.com"
POLICIES = ("any-time", "strict")
# B's only readings come before B's consent, and so does one of A's: each policy gives these
# tables other rows, so every run that switches policy commits a snapshot of each.
CHANGING = {"accelerometer_trusted", "step_trainer_trusted", "customer_curated", "machine_learning_curated"}


@pytest.fixture
def house(tmp_path: Path) -> Lakehouse:
    delivery = write_delivery(
        tmp_path / "d",
        customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=1000)],
        accelerometer=[reading(A, 50), reading(A, 500), reading(B, 50)],
        step_trainer=[step("s1", 50), step("s1", 500), step("s2", 50)],
    )
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    return house


def runs(house: Lakehouse, count: int, first: int = 0) -> dict[int, list[str]]:
    """`count` runs switching policy; the rows of every snapshot they made, by snapshot id."""
    seen = {}
    for i in range(first, first + count):
        house.run(consent_policy=POLICIES[i % 2])
        for name, rows in contents(house).items():
            table = house.committed(name)
            assert table is not None and table.current_snapshot() is not None
            seen[table.current_snapshot().snapshot_id] = rows
    return seen


def snapshot_ids(house: Lakehouse) -> dict[str, list[int]]:
    """Each table's snapshots, in the metadata readers read."""
    found = {}
    for name in STORED:
        table = house.committed(name)
        assert table is not None
        found[name] = [s.snapshot_id for s in table.metadata.snapshots]
    return found


def assert_every_snapshot_reads_whole(house: Lakehouse, rows: dict[int, list[str]]) -> None:
    """Each kept snapshot scanned in full (pyiceberg reads every manifest and data file of it)
    holds the rows it held when it was made."""
    for name in STORED:
        table = house.committed(name)
        assert table is not None
        for snapshot in table.metadata.snapshots:
            scanned = table.scan(snapshot_id=snapshot.snapshot_id).to_arrow()
            assert sorted(map(str, scanned.to_pylist())) == rows[snapshot.snapshot_id], (name, snapshot.snapshot_id)


def table_files(house: Lakehouse) -> dict[str, tuple[int, int]]:
    """Every file in the tables' folders with its size and modification time."""
    root = Path(house.path)
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for name in STORED for p in (root / house.lake.table_folder(name)).rglob("*") if p.is_file()}


def test_runs_keep_the_newest_snapshots_and_leave_no_orphan(house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_KEEP_SNAPSHOTS", "2")
    monkeypatch.setenv("STEDI_KEEP_DAYS", "0")
    house = Lakehouse(house.path)
    rows = runs(house, 5)
    ids = snapshot_ids(house)
    assert {name: len(ids[name]) for name in STORED} == {name: 2 if name in CHANGING else 1 for name in STORED}
    assert orphans(house) == []  # every file in the tables' folders belongs to a kept snapshot
    assert not [p for p in Path(house.path).glob("*/*/data/run-*") if not any(p.iterdir())]  # no empty run folder
    assert_every_snapshot_reads_whole(house, rows)
    assert LakeState.read(house.lake.storage) is not None
    assert house.query("SELECT count(*) AS n FROM accelerometer_trusted").to_pylist() == [{"n": 3}]  # any-time, last
    # The metadata log is kept about as long as the snapshots: old metadata files go too.
    for name in CHANGING:
        table = house.lake.store.load(name)
        assert table is not None and table.properties["write.metadata.previous-versions-max"] == "2"
        assert len(list((Path(house.path) / house.lake.table_folder(name) / "metadata").glob("*.metadata.json"))) == 3


def test_the_run_summary_says_what_retention_did(house: Lakehouse, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    runs(house, 2)
    monkeypatch.setenv("STEDI_KEEP_SNAPSHOTS", "1")
    monkeypatch.setenv("STEDI_KEEP_DAYS", "0")
    assert main(["run", "--lake", house.path, "--consent-policy", "any-time"]) == 0
    out = capsys.readouterr().out
    assert "retention: 8 old snapshot(s) expired" in out  # 2 of each changing table: its current one stays
    summary = Lakehouse(house.path).run(consent_policy="strict")
    assert summary.retention is not None and summary.retention["expired"] == {name: 1 for name in CHANGING}


def test_keep_days_keeps_every_younger_snapshot_whatever_keep_snapshots_says(house: Lakehouse) -> None:
    rows = runs(house, 4)
    before = snapshot_ids(house)
    report = retain(house.lake, keep_snapshots=1, keep_days=3650)
    assert (report.expired, report.files_deleted, report.state_written) == ({}, 0, False)
    assert snapshot_ids(house) == before
    # Two days on, with keep_days 1, every snapshot is old enough: only the newest one stays.
    later = int(time.time() * 1000) + 2 * 86_400_000
    report = retain(house.lake, keep_snapshots=1, keep_days=1, now_ms=later)
    assert report.expired == {name: 3 for name in CHANGING}
    assert all(len(ids) == 1 for ids in snapshot_ids(house).values())
    assert orphans(house) == []
    assert_every_snapshot_reads_whole(house, rows)


def test_orphans_older_than_the_margin_go_and_fresh_ones_stay(house: Lakehouse) -> None:
    runs(house, 1)
    folder = Path(house.path) / house.lake.table_folder("accelerometer_trusted")
    old_data = folder / "data" / "run-killed" / "data_0.parquet"
    old_data.parent.mkdir()
    old_data.write_bytes(b"x" * 1000)
    old_manifest = folder / "metadata" / "lost-m0.avro"
    old_manifest.write_bytes(b"y" * 300)
    fresh = folder / "data" / "run-in-progress-elsewhere" / "data_0.parquet"
    fresh.parent.mkdir()
    fresh.write_bytes(b"z" * 50)
    two_hours_ago = time.time() - 7200
    for path in (old_data, old_manifest):
        os.utime(path, (two_hours_ago, two_hours_ago))
    report = retain(house.lake)
    assert (report.deleted, report.freed_bytes) == ({"data": 1, "metadata": 1}, {"data": 1000, "metadata": 300})
    assert (report.kept_recent, report.kept_recent_bytes) == (1, 50)
    assert not old_data.exists() and not old_data.parent.exists() and not old_manifest.exists()
    assert fresh.exists()
    assert orphans(house) == [str(fresh.relative_to(house.path))]
    assert contents(house)["accelerometer_trusted"]


def test_retention_after_a_run_that_changed_nothing_writes_nothing(house: Lakehouse,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_KEEP_SNAPSHOTS", "2")
    monkeypatch.setenv("STEDI_KEEP_DAYS", "0")
    house = Lakehouse(house.path)
    runs(house, 3)
    files, catalog = table_files(house), house.lake.store.metadata_locations()

    def no_pyiceberg(*args: object) -> None:
        raise AssertionError("nothing to expire: the metadata files alone say so")

    monkeypatch.setattr(IcebergStore, "load", no_pyiceberg)
    summary = house.run(consent_policy=POLICIES[2 % 2])  # the same policy, the same rows: no commit
    assert summary.retention is not None
    assert (summary.retention["expired"], summary.retention["state_written"]) == ({}, False)
    assert table_files(house) == files  # not one file written, touched or deleted in the tables' folders
    assert house.lake.store.metadata_locations() == catalog


def test_readers_keep_the_old_tables_whole_when_retention_stops_before_the_state_write(
        house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = runs(house, 3)
    before, ids = contents(house), snapshot_ids(house)

    def failing_write(self: LakeState, storage: object, **condition: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(LakeState, "write", failing_write)
        with pytest.raises(OSError, match="disk full"):
            retain(house.lake, keep_snapshots=1, keep_days=0)
    reader = Lakehouse(house.path)  # the catalog has the expiry; the state, which readers read, does not
    assert contents(reader) == before and snapshot_ids(reader) == ids
    assert_every_snapshot_reads_whole(reader, rows)  # every expired snapshot too: no file was deleted
    assert reader.lake.store.metadata_locations() != reader.committed_locations()

    report = retain(house.lake, keep_snapshots=1, keep_days=0)  # the next retention adopts the expiry
    assert report.state_written and report.expired == {} and report.kept_recent == 0
    assert house.lake.store.metadata_locations() == house.committed_locations()
    assert all(len(i) == 1 for i in snapshot_ids(house).values())
    assert contents(house) == before and orphans(house) == []


def test_a_failing_retention_does_not_fail_the_committed_run(house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []

    def failing_retain(*args: object, **kwargs: object) -> RetentionReport:
        raise RuntimeError("catalog unreachable")

    monkeypatch.setattr("stedi.maintain.retention.retain", failing_retain)
    summary = house.run(progress=said.append)
    assert summary.retention is None
    assert any("retention after the run failed (catalog unreachable); the run is committed" in s for s in said)
    assert house.lake.state() is not None and house.lake.state().run_id == summary.run_id  # type: ignore[union-attr]
    assert not house.lake.storage.exists("journal.json")


def test_stedi_maintain(house: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    rows = runs(house, 3)
    capsys.readouterr()
    assert main(["maintain", "--lake", house.path, "--keep-snapshots", "1", "--keep-days", "0"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == ("expired 8 snapshot(s) of 4 table(s): those older than 0 day(s) beyond the newest 1 of "
                        "each table")
    assert lines[1].startswith("deleted ") and ": 8 data file(s) (" in lines[1]
    assert len(lines) == 2 and "expiring 8 old snapshot(s) of 4 table(s)" in captured.err
    assert all(len(ids) == 1 for ids in snapshot_ids(house).values())
    assert_every_snapshot_reads_whole(house, rows)

    assert main(["maintain", "--lake", house.path]) == 0  # the lake's settings: 10 snapshots, 7 days
    assert capsys.readouterr().out.splitlines() == [
        "no snapshot to expire: none older than 7 day(s) beyond the newest 10 of a table",
        "deleted 0 file(s), 0.0 MB freed: 0 data file(s) (0.0 MB), 0 manifest and metadata file(s) (0.0 MB)"]


def test_stedi_maintain_help_says_what_the_settings_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["maintain", "--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--keep-snapshots N" in text and "--keep-days D" in text and "--wait" in text
    assert "older than keep_days and not one of the newest keep_snapshots" in text
    assert "the current snapshot is always kept" in text


def test_stedi_maintain_waits_for_the_writer_lock(house: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    runs(house, 1)
    with house.lake.storage.writer_lock("run").acquire(None):
        assert main(["maintain", "--lake", house.path]) == 1
    assert "stedi run" in capsys.readouterr().err


def test_in_s3_retention_leaves_no_object_behind(bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same on a lake in S3 (moto): objects deleted through the storage layer, their age
    from S3's LastModified, and no folder marker left where a run's files were."""
    import boto3

    from tests.moto_server import REGION

    delivery = write_delivery(tmp_path / "d", customer=[customer(A, "s1", consent=100)],
                              accelerometer=[reading(A, 50), reading(A, 500)], step_trainer=[step("s1", 500)])
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(delivery)
    monkeypatch.setenv("STEDI_KEEP_SNAPSHOTS", "1")
    monkeypatch.setenv("STEDI_KEEP_DAYS", "0")
    house = Lakehouse(house.path)
    rows = runs(house, 3)
    assert snapshot_ids(house)["accelerometer_trusted"] and all(len(i) == 1 for i in snapshot_ids(house).values())
    assert orphans(house) == []
    assert_every_snapshot_reads_whole(house, rows)
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="lake/accelerometer/trusted/data/") for o in page.get("Contents", [])]
    assert len(keys) == 1 and keys[0].endswith(".parquet"), keys  # the current snapshot's file, no marker
    # An orphan's age is its LastModified: kept while it is new, deleted once older than the margin.
    s3.put_object(Bucket=bucket, Key="lake/accelerometer/trusted/data/run-killed/data_0.parquet", Body=b"x" * 10)
    assert retain(house.lake).kept_recent == 1
    report = retain(house.lake, now_ms=int(time.time() * 1000) + 2 * 3600 * 1000)
    assert (report.deleted["data"], report.kept_recent) == (1, 0) and orphans(house) == []
