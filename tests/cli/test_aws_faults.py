"""A fault on the network that outlasts the retries, through the `stedi` command: one line on
stderr (no traceback) naming the object and saying what became of the lake, and the lake is
then as it says: as before, or rolled back by the next writer. Each test's lake is a new one in
moto's server behind the fault proxy, with a delivery ingested and no run yet."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.commit.transaction import writing
from stedi.maintain import retain
from stedi.generate import generate
from tests.aws.fault_proxy import request_to
from tests.commit.lake_checks import contents, journal_left, orphans
from tests.moto_server import REGION, new_bucket


@pytest.fixture
def lake(proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    # Three attempts, short waits: what outlasts them is the same as what outlasts ten.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("STEDI_AWS_RETRY_WAITS", "short")
    bucket = new_bucket()
    database = bucket.replace("-", "_")
    monkeypatch.setenv("STEDI_GLUE_DATABASE", database)
    generate(tmp_path / "delivery", customers=5, seed=3)
    lake = f"s3://{bucket}/lake"
    assert main(["ingest", str(tmp_path / "delivery"), "--lake", lake]) == 0
    capsys.readouterr()
    return lake


def failed_run(capsys) -> str:
    """`stedi run`'s one line of error (its progress lines aside): exit 1, no traceback."""
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("stedi:")]
    assert len(errors) == 1 and err.endswith(errors[0] + "\n"), err
    return errors[0]


def as_before(lake: str) -> None:
    """No table, no state, no journal, no lock, no object but landing's, the config and folder
    markers (pyarrow leaves one where it deletes a prefix's last object)."""
    house = Lakehouse(lake)
    assert house.lake.state() is None and not journal_left(house) and not house.lake.storage.exists(".lock")
    assert orphans(house) == [] and house.lake.store.metadata_locations(write=False) == {}
    bucket, prefix = lake[len("s3://"):].split("/", 1)
    keys = [o["Key"] for page in boto3.client("s3", region_name=REGION).get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix=prefix + "/") for o in page.get("Contents", [])]
    assert keys and all(k.endswith(("stedi.toml", "/")) or "/landing/" in k for k in keys), keys


def test_a_parquet_put_cut_every_time_is_one_line_and_the_run_is_rolled_back(proxy, lake: str, monkeypatch,
                                                                              capsys) -> None:
    monkeypatch.setenv("STEDI_LAKE", lake)
    proxy.add("reset", request_to("PUT", path_contains=".parquet"), times=None)
    line = failed_run(capsys)
    assert line.startswith(f"stedi: error: {lake}/") and ".parquet: " in line
    assert "retries exhausted" in line and line.endswith("is not committed: rolled back; the lake is as before")
    proxy.clear()
    as_before(lake)


def test_slow_downs_while_listing_are_one_line_and_the_run_is_rolled_back(proxy, lake: str, monkeypatch,
                                                                         capsys) -> None:
    monkeypatch.setenv("STEDI_LAKE", lake)
    duckdb_lists = lambda m, t, h: "list-type=2" in t and "duckdb" in h.get("user-agent", "")
    proxy.add("slow_down", duckdb_lists, times=None)
    line = failed_run(capsys)
    assert line.startswith(f"stedi: error: {lake}/") and "503 Slow Down" in line, line
    assert line.endswith("is not committed: rolled back; the lake is as before")
    proxy.clear()
    as_before(lake)


def glue_call(operation: str):
    return lambda method, target, headers: headers.get("x-amz-target", "").endswith(f".{operation}")


def test_a_cut_glue_commit_and_roll_back_are_finished_by_the_next_writer(proxy, lake: str, monkeypatch,
                                                                         capsys) -> None:
    monkeypatch.setenv("STEDI_LAKE", lake)
    database = lake_database = Lakehouse(lake).lake.config.glue_database
    proxy.add("reset", glue_call("UpdateTable"), times=None)  # a commit
    proxy.add("reset", glue_call("DeleteTable"), times=None)  # rolling a created table back
    line = failed_run(capsys)
    assert line.startswith(f"stedi: error: Glue database {database}, table ")
    assert "the connection kept failing" in line and line.endswith("the next writer will roll it back")

    # The next writer, cut off the same way while it rolls the dead run back, says so.
    line = failed_run(capsys)
    assert line.startswith("stedi: error: rolling back unfinished run ") and f"Glue database {lake_database}" in line
    assert line.endswith("was interrupted (" + line.split(" was interrupted (", 1)[1].rsplit(")", 1)[0]
                         + "); the next writer will finish it")

    # With the network back, the next writer finishes the roll-back, then runs.
    proxy.clear()
    assert main(["run"]) == 0
    assert "rolling back unfinished run" in capsys.readouterr().err
    house = Lakehouse(lake)
    assert house.lake.state() is not None and not journal_left(house) and orphans(house) == []



def one_line_error(args: list[str], capsys) -> str:
    """`stedi ARGS` fails with one line on stderr, after its progress lines, and no traceback."""
    assert main(args) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("stedi:")]
    assert "Traceback" not in err and len(errors) == 1 and err.endswith(errors[0] + "\n"), err
    return errors[0]


def test_an_ingest_cut_part_way_says_what_landed_and_the_next_ingest_copies_the_rest(
        proxy, lake: str, tmp_path: Path, capsys) -> None:
    generate(tmp_path / "second", customers=5, seed=4)
    proxy.add("reset", request_to("PUT", path_contains="/step_trainer/landing/"), times=None)
    line = one_line_error(["ingest", str(tmp_path / "second"), "--lake", lake], capsys)
    assert line.startswith(f"stedi: error: {lake}/step_trainer/landing/") and "retries exhausted" in line, line
    assert line.endswith("in landing, the rest of the delivery is not (ingest it again: what landing already "
                         "holds is skipped)"), line
    copied = int(line.split("; ingest stopped: the ")[1].split(" ")[0])
    assert copied > 0  # the customer and accelerometer files went before

    proxy.clear()
    house = Lakehouse(lake)
    again = house.ingest(tmp_path / "second")
    assert len(again.unchanged) == copied and again.copied
    assert all(path.startswith("step_trainer/landing/") for path in again.copied), again.copied


def test_maintenance_cut_part_way_changes_no_table_and_the_next_one_finishes_it(
        proxy, lake: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STEDI_LAKE", lake)
    for seed in (4, 5):  # three runs: history to expire
        assert main(["run"]) == 0
        generate(tmp_path / f"d{seed}", customers=5, seed=seed)
        assert main(["ingest", str(tmp_path / f"d{seed}")]) == 0
    assert main(["run"]) == 0
    before = contents(Lakehouse(lake))
    capsys.readouterr()
    maintain = ["maintain", "--keep-snapshots", "1", "--keep-days", "0"]

    proxy.add("reset", glue_call("UpdateTable"), times=None)  # an expiry's commit
    line = one_line_error(maintain, capsys)
    database = Lakehouse(lake).lake.config.glue_database
    assert line.startswith(f"stedi: error: Glue database {database}, table ") and "kept failing" in line, line
    assert line.endswith("; maintenance stopped part way: every table's current data is as it was; the next "
                         "`stedi maintain` (or run) finishes it (a file it freed is deleted once 60 minutes old)")
    assert contents(Lakehouse(lake)) == before

    proxy.clear()
    freed = lambda m, t, h: (m == "DELETE" and ".lock" not in t) or (m == "POST" and "delete" in t)
    proxy.add("reset", freed, times=None)  # deleting what is freed (the lock still goes)
    line = one_line_error(maintain, capsys)
    assert line.startswith(f"stedi: error: {lake}/") and "maintenance stopped part way" in line, line
    assert contents(Lakehouse(lake)) == before

    # With the network back, the next retention deletes what the cut one freed, once old enough
    # (an hour: younger unreferenced files may be another writer's in progress).
    proxy.clear()
    house = Lakehouse(lake)
    with writing(house.lake, "maintain"):
        retain(house.lake, keep_snapshots=1, keep_days=0, margin_seconds=0)
    assert contents(house) == before and orphans(house) == [] and not house.lake.storage.exists(".lock")
