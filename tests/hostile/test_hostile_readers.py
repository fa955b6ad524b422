"""Readers never fail because a writer tidied up. Writers delete the files of the state before
theirs once theirs is visible (forget, retention after a run or `stedi maintain`); a reader that
read the old state and finds its files gone reads the new state instead. Deterministically (the
files deleted between a reader's reading of the state and of the files), and in a race: queries
in a loop, in this process and as `python -m stedi query`, while every kind of writer works."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.errors import StediError
from tests.conftest import customer, reading, step, write_delivery

COUNTS = "SELECT (SELECT count(*) FROM customer_trusted) AS people, (SELECT count(*) FROM machine_learning_curated) AS rows"


def person(i: int) -> str:
    return f"p{i}@x.com"


def delivery(root: Path, people: range, day: int = 1) -> Path:
    """Each person consents, and has 2 phone readings paired with 2 step-trainer readings: 2 rows
    of machine_learning_curated each. Files named <source>-<day>.json."""
    write_delivery(root, customer=[customer(person(i), f"s{i}", consent=100) for i in people],
                   accelerometer=[reading(person(i), t, float(i)) for i in people for t in (500, 600)],
                   step_trainer=[step(f"s{i}", t, i) for i in people for t in (500, 600)])
    for source in ("customer", "accelerometer", "step_trainer"):
        (root / source / "landing" / f"{source}-1.json").rename(root / source / "landing" / f"{source}-{day}.json")
    return root


def lake_of(root: Path, people: range) -> Lakehouse:
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery(root / "d", people))
    house.run()
    return house


def counts(house: Lakehouse) -> tuple[int, int]:
    row = house.query(COUNTS).to_pylist()[0]
    return row["people"], row["rows"]


# -- Deterministic: the old state's files deleted between reading the state and the files ------

@pytest.mark.parametrize("moment", ["before the metadata is read", "before the data files are read"])
def test_a_reader_whose_files_are_deleted_under_it_reads_the_new_state(tmp_path: Path, moment: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    house = lake_of(tmp_path, range(4))
    assert counts(house) == (4, 8)
    writer = Lakehouse(house.path)
    forgotten = iter([person(0), person(1)])

    def forget_one() -> None:  # a whole forget: commits the new state, then deletes the old files
        writer.forget([next(forgotten)])

    if moment == "before the metadata is read":
        real = Lakehouse.committed_locations
        calls = []

        def stale_then_forget(self: Lakehouse, state: object = None) -> dict[str, str]:
            found = real(self, state)  # type: ignore[arg-type]
            if self is house and not calls:
                calls.append(1)
                forget_one()
            return found
        monkeypatch.setattr(Lakehouse, "committed_locations", stale_then_forget)
    else:
        from stedi.store.iceberg_store import IcebergStore

        real_files = IcebergStore.data_files
        done = []

        def files_then_forget(*args: object) -> list[str]:
            found = real_files(*args)  # type: ignore[arg-type]
            if not done:  # once: the forget itself lists data files too
                done.append(1)
                forget_one()
            return found
        monkeypatch.setattr(IcebergStore, "data_files", staticmethod(files_then_forget))
        # The same moment where the snapshot records its files (read without pyiceberg).
        import stedi.query
        from stedi.store.snapshot_files import current_snapshot

        def recorded_then_forget(*args: object) -> object:
            found = current_snapshot(*args)  # type: ignore[arg-type]
            if not done:
                done.append(1)
                forget_one()
            return found
        monkeypatch.setattr(stedi.query, "current_snapshot", recorded_then_forget)

    assert counts(house) == (3, 6)  # from the new state: person 0 forgotten


def test_table_and_tables_read_the_new_state_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    house = lake_of(tmp_path, range(3))
    writer = Lakehouse(house.path)
    real = Lakehouse.committed_locations
    people = iter([person(0), person(1)])

    def stale_then_forget(self: Lakehouse, state: object = None) -> dict[str, str]:
        found = real(self, state)  # type: ignore[arg-type]
        if self is house:
            writer.forget([next(people)])
            monkeypatch.setattr(Lakehouse, "committed_locations", real)  # once for each reader below
        return found

    monkeypatch.setattr(Lakehouse, "committed_locations", stale_then_forget)
    assert house.table("customer_trusted").to_arrow().num_rows == 2
    monkeypatch.setattr(Lakehouse, "committed_locations", stale_then_forget)
    rows = {t.name: t.rows for t in house.tables()}
    assert rows["customer_trusted"] == 1 and rows["machine_learning_curated"] == 2


def test_files_gone_while_the_state_stays_is_one_line_that_does_not_say_rebuild(tmp_path: Path) -> None:
    house = lake_of(tmp_path, range(2))
    state = house.lake.state()
    assert state is not None
    Path(state.tables["customer_trusted"].metadata_location.removeprefix("file://")).unlink()
    with pytest.raises(StediError) as raised:
        house.query("SELECT count(*) FROM customer_trusted")
    message = str(raised.value)
    assert "\n" not in message and "cannot read table metadata" in message
    assert "stedi run" not in message and "rebuild" not in message


# -- The race: queries in a loop while writers work --------------------------------------------

def stedi_query(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stedi", "query", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=600)


def test_no_query_fails_while_writers_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    house = lake_of(tmp_path, range(12))
    # Every run and maintain deletes the files of every snapshot but the newest.
    monkeypatch.setenv("STEDI_KEEP_SNAPSHOTS", "1")
    monkeypatch.setenv("STEDI_KEEP_DAYS", "0")
    writer = Lakehouse(house.path)
    # Every state the lake passes through has whole people: n in customer_trusted, 2n rows.
    plausible = {(n, 2 * n) for n in range(0, 17)}
    failures: list[str] = []
    answers: list[tuple[int, int]] = []
    done = threading.Event()

    def in_process() -> None:
        reader = Lakehouse(house.path)
        while not done.is_set():
            try:
                answers.append(counts(reader))
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                failures.append(f"in process: {type(e).__name__}: {e}")

    def commands() -> None:
        while not done.is_set():
            result = stedi_query(COUNTS, "--lake", house.path, "--format", "csv")
            if result.returncode:
                failures.append(f"stedi query: {result.stderr.strip()}")
            else:
                people, rows = result.stdout.splitlines()[1].split(",")
                answers.append((int(people), int(rows)))

    readers = [threading.Thread(target=in_process), threading.Thread(target=commands)]
    for reader in readers:
        reader.start()
    try:  # the writers, one after another, as fast as they go: ingest, run, forget, maintain
        writer.ingest(delivery(tmp_path / "d2", range(12, 16), day=2))
        writer.run()
        for i in range(6):
            writer.forget([person(i)])
            writer.maintain(keep_snapshots=1, keep_days=0)
        writer.run(full=True)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert failures == []
    assert len(answers) > 10 and set(answers) <= plausible, sorted(set(answers) - plausible)
    assert counts(house) == (10, 20)  # 16 people, 6 forgotten
