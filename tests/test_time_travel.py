"""Time travel: `--as-of` a run id or a time reads the stored tables as that run left them.

One lake, four runs, each leaving rows worked out by hand (customer a consents at 1000 and has
readings at 500 and 1500; b consents at 0):
  run 1, strict:    accelerometer_trusted (a,1500)            customers a     curated distances 7
  run 2, any-time:  (a,500) (a,1500): the reading before consent counts; the other tables keep
                    run 1's snapshots (their rows did not change)
  run 3, strict, after a delivery of b: (a,1500) (b,2500)     customers a, b  distances 7, 9
  run 4, strict, nothing new: commits nothing; the lake is as run 3 left it
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from stedi.cli.main import main
from stedi.time_travel import format_ms, run_ids
from tests.conftest import customer, reading, step, write_delivery

A, B = "a@x.com", "b@x.com"
ACCELEROMETER = "SELECT user, timestamp FROM accelerometer_trusted ORDER BY ALL"
CUSTOMERS = "SELECT email FROM customer_trusted ORDER BY ALL"
DISTANCES = "SELECT distancefromobject FROM machine_learning_curated ORDER BY ALL"
RUN_1 = {ACCELEROMETER: [(A, 1500)], CUSTOMERS: [(A,)], DISTANCES: [(7,)]}
RUN_2 = {**RUN_1, ACCELEROMETER: [(A, 500), (A, 1500)]}
RUN_3 = {ACCELEROMETER: [(A, 1500), (B, 2500)], CUSTOMERS: [(A,), (B,)], DISTANCES: [(7,), (9,)]}
EXPECTED = [RUN_1, RUN_2, RUN_3, RUN_3]


def deliver(house: Lakehouse, folder: Path, number: int, **sources: list) -> None:
    write_delivery(folder, **sources)
    for file in folder.glob("*/landing/*-1.json"):  # landing keeps every delivery: each under its own name
        file.rename(file.with_name(file.name.replace("-1.json", f"-{number}.json")))
    house.ingest(folder)


def first_delivery(house: Lakehouse, folder: Path) -> None:
    deliver(house, folder, 1, customer=[customer(A, "s1", consent=1000)],
            accelerometer=[reading(A, 500), reading(A, 1500)], step_trainer=[step("s1", 1500, 7)])


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """The lake of the module docstring and its run ids, oldest first. Tests only read it."""
    tmp = tmp_path_factory.mktemp("time-travel")
    with pytest.MonkeyPatch.context() as env:  # as conftest's isolated_env, for the whole module
        for name in [n for n in os.environ if n.startswith("STEDI_")]:
            env.delenv(name)
        house = Lakehouse(tmp / "lake", create=True)
        first_delivery(house, tmp / "d1")
        runs = [house.run(consent_policy="strict").run_id, house.run(consent_policy="any-time").run_id]
        deliver(house, tmp / "d2", 2, customer=[customer(B, "s2", consent=0)],
                accelerometer=[reading(B, 2500)], step_trainer=[step("s2", 2500, 9)])
        runs += [house.run(consent_policy="strict").run_id, house.run(consent_policy="strict").run_id]
    return house, runs


def rows(house: Lakehouse, as_of: object = None) -> dict[str, list[tuple]]:
    return {sql: [tuple(r.values()) for r in house.query(sql, as_of=as_of).to_pylist()] for sql in RUN_1}


def run_snapshots(house: Lakehouse, run_id: str) -> list[int]:
    """When each snapshot run `run_id` committed was made."""
    found = []
    for location in house.committed_locations().values():
        for s in house.open_table(location).snapshots():
            if s.summary and s.summary["stedi.run-id"] == run_id:
                found.append(s.timestamp_ms)
    return found


@pytest.mark.parametrize("run", range(4))
def test_as_of_each_run_id_reads_that_runs_rows(lake: tuple[Lakehouse, list[str]], run: int) -> None:
    house, runs = lake
    assert rows(house, runs[run]) == EXPECTED[run]
    table = house.table("accelerometer_trusted", as_of=runs[run]).to_arrow()
    assert sorted((r["user"], r["timestamp"]) for r in table.to_pylist()) == EXPECTED[run][ACCELEROMETER]


def test_as_of_each_runs_moment_reads_that_runs_rows(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    for run, expected in zip(runs[:3], EXPECTED):
        moment = house.as_of(run).moment_ms
        committed = json.loads((Path(house.path) / "runs" / f"{run}.json").read_text()).get("committed_at_ms")
        assert moment == (committed or max(run_snapshots(house, run)))  # older records have no committed_at_ms
        dt = datetime.fromtimestamp(moment / 1000, timezone.utc)
        for when in (moment, str(moment), format_ms(moment), format_ms(moment + 1), dt, dt.replace(tzinfo=None)):
            point = house.as_of(when)
            assert point.run_id == run, when
            assert rows(house, point) == expected, when


def test_a_time_while_a_run_was_committing_reads_the_run_before_whole(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    commits = sorted(run_snapshots(house, runs[2]))
    assert commits[0] < commits[-1]
    point = house.as_of(commits[0])  # run 3 had committed a table, but state.json still named run 2
    assert point.run_id == runs[1] and rows(house, point) == RUN_2


def test_the_newest_run_equals_no_as_of(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    assert rows(house, runs[-1]) == rows(house) == RUN_3
    assert rows(house, "2999-01-01") == RUN_3


def test_a_records_committed_at_ms_is_the_runs_moment(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    record = Path(house.path) / "runs" / f"{runs[1]}.json"
    text, written = record.read_text(), record.stat()
    committed = max(run_snapshots(house, runs[1])) + 1
    record.write_text(json.dumps({**json.loads(text), "committed_at_ms": committed}))
    try:
        assert house.as_of(runs[1]).moment_ms == committed and rows(house, runs[1]) == RUN_2
    finally:
        record.write_text(text)
        os.utime(record, ns=(written.st_atime_ns, written.st_mtime_ns))  # the record's age orders runs


def test_the_cli_prints_a_runs_rows(lake: tuple[Lakehouse, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    house, runs = lake
    capsys.readouterr()
    assert main(["query", "--as-of", runs[1], ACCELEROMETER, "--lake", house.path, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert list(csv.reader(io.StringIO(out))) == [["user", "timestamp"], [A, "500"], [A, "1500"]]
    assert f"as of run {runs[1]} (" in err
    assert main(["query", "--as-of", "2999-01-01T00:00", ACCELEROMETER, "--lake", house.path, "--format", "csv"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:] == [[A, "1500"], [B, "2500"]]


@pytest.mark.parametrize("when, sql, message", [
    ("20200101T000000-0badc0de", CUSTOMERS, "no run 20200101T000000-0badc0de in {lake}; the last runs: {run4}, {run3}"),
    ("2020-01-01", CUSTOMERS, "2020-01-01T00:00:00.000Z is before the lake's first run ({run1}, "),
    ("1000000000000", CUSTOMERS, "2001-09-09T01:46:40.000Z is before the lake's first run"),
    ("{run1}", "SELECT count(*) FROM customer_landing", "customer_landing is a view over the landing files as they "
                                                        "are now; landing is not versioned"),
    ("yesterday", CUSTOMERS, "as of 'yesterday': not a run id or a time; give a run id"),
    ("2026-13-45", CUSTOMERS, "as of '2026-13-45': not a run id or a time"),
    ("1764340200", CUSTOMERS, "as of '1764340200': epoch milliseconds have 12 or more digits"),
])
def test_wrong_as_of_is_one_line(lake: tuple[Lakehouse, list[str]], capsys: pytest.CaptureFixture[str],
                                 when: str, sql: str, message: str) -> None:
    house, runs = lake
    names = {"lake": house.path, **{f"run{i + 1}": r for i, r in enumerate(runs)}}
    capsys.readouterr()
    assert main(["query", "--as-of", when.format(**names), sql, "--lake", house.path]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("stedi: error: ") and err.count("\n") == 1
    assert message.format(**names) in err


def test_landing_tables_are_refused_by_the_python_api_too(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    with pytest.raises(StediError, match="not versioned"):
        house.table("step_trainer_landing", as_of=runs[0])


def test_an_expired_snapshot_is_one_line_naming_table_moment_and_retention(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    first_delivery(house, tmp_path / "d")
    runs = [house.run(consent_policy=policy).run_id for policy in ("strict", "any-time", "strict")]
    name = "accelerometer_trusted"
    table = house.store.load(name)
    assert table is not None
    first, middle, last = [e.snapshot_id for e in table.history()]
    table.maintenance.expire_snapshots().by_id(middle).commit()  # run 2's: as retention would
    state = house.lake.state()
    assert state is not None
    table = house.store.load(name)
    assert table is not None
    state.tables[name] = replace(state.tables[name], metadata_location=table.metadata_location)
    state.write(house.lake.storage)  # as a run that expires snapshots names the new metadata
    # pyiceberg's own answer skips the gap: it gives run 1's snapshot for run 2's moment.
    run_2 = house.as_of(runs[1])
    assert table.snapshot_as_of_timestamp(run_2.moment_ms).snapshot_id == first
    kept_from = format_ms(table.snapshot_by_id(last).timestamp_ms)
    for run in runs[:2]:
        capsys.readouterr()
        assert main(["query", "--as-of", run, "SELECT count(*) FROM accelerometer_trusted",
                     "--lake", house.path]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"table {name} cannot be read as of run {run} (" in err
        assert f"the oldest moment it can be read as of is {kept_from}" in err
        assert "keep_snapshots and keep_days" in err and "stedi.toml" in err
    with pytest.raises(StediError, match=f"table {name} cannot be read as of run {runs[1]}"):
        house.table(name, as_of=runs[1]).to_arrow()
    # Tables whose snapshots are kept still read; run 3 whole still reads.
    assert house.query(CUSTOMERS, as_of=runs[0]).to_pylist() == [{"email": A}]
    assert rows(house, runs[2]) == RUN_1
    with pytest.raises(StediError, match="before the lake's first run"):
        house.query(ACCELEROMETER, as_of="2000-01-01T00:00:00+02:00")


def test_a_lake_without_a_run_says_so(tmp_path: Path) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    with pytest.raises(StediError, match="has no run yet"):
        house.query("SELECT 1", as_of="2026-11-28")
    with pytest.raises(StediError, match=r"no run 20261128T145000-1a2b3c4d: the lake .* has no run yet"):
        house.query("SELECT 1", as_of="20261128T145000-1a2b3c4d")


def test_runs_started_in_the_same_second_are_ordered_by_their_records_and_one_without_is_newest() -> None:
    """Tiny runs start within one second; the run ids' random tails say nothing of their order."""
    from types import SimpleNamespace

    first, second, third = "20261207T061002-ffffffff", "20261207T061002-00000000", "20261207T061002-88888888"
    entries = [SimpleNamespace(name=f"{first}.json", mtime_ns=1_000), SimpleNamespace(name=f"{second}.json", mtime_ns=2_000)]
    lake = SimpleNamespace(storage=SimpleNamespace(files=lambda folder, suffix: entries))
    assert run_ids(lake) == [first, second]  # type: ignore[arg-type]
    assert run_ids(lake, also=[third]) == [first, second, third]  # type: ignore[arg-type]  # its record missing
