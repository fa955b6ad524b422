"""A run is all-or-nothing for every table at once, and leaves no file behind when it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.commit.journal import Journal
from stedi.commit.recover import settle
from stedi.commit.state import STATE_FILE, LakeState
from stedi.errors import StediError
from stedi.store.iceberg_store import IcebergStore
from tests.conftest import customer, reading, step, write_delivery

A = "a@test.com"


@pytest.fixture
def house(tmp_path: Path) -> Lakehouse:
    delivery = write_delivery(
        tmp_path / "d",
        customer=[customer(A, "s1", consent=100), '{"email": "broken'],
        accelerometer=[reading(A, 50), reading(A, 500), reading(A, 600)],  # 50: before consent
        step_trainer=[step("s1", 50), step("s1", 500), step("s1", 600)],
    )
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run(consent_policy="any-time")
    return house


def contents(house: Lakehouse) -> dict[str, list[str]]:
    return {t.name: sorted(map(str, house.table(t.name).to_arrow().to_pylist())) for t in house.tables()
            if t.zone != "landing"}


def lake_files(house: Lakehouse) -> set[Path]:
    """Every file of the tables (data and metadata): what a failed run must not add to."""
    return {p for name in ("customer", "accelerometer", "step_trainer", "quarantine")
            for p in (Path(house.path) / name).rglob("*") if p.is_file() and "landing" not in p.parts}


@pytest.mark.parametrize("fail_at", [1, 2, 3])
@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_commit_that_fails_partway_leaves_every_table_as_before(
        house: Lakehouse, monkeypatch: pytest.MonkeyPatch, fail_at: int, error: BaseException) -> None:
    before, files = contents(house), lake_files(house)
    real = IcebergStore.change_contents
    calls = []

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == fail_at:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IcebergStore, "change_contents", failing)
    with pytest.raises(type(error)):
        house.run(consent_policy="strict")  # three tables change: three commits planned
    assert len(calls) == fail_at
    assert contents(house) == before
    assert lake_files(house) == files  # the commits it made are undone, their files gone
    assert not (Path(house.path) / "journal.json").exists()
    monkeypatch.undo()
    house.run(consent_policy="strict")
    assert contents(house) != before
    house.run(consent_policy="any-time")
    assert contents(house) == before


@pytest.mark.parametrize("next_writer", ["run", "ingest"])
def test_readers_do_not_see_a_run_that_died_while_committing(house: Lakehouse, monkeypatch: pytest.MonkeyPatch,
                                                             next_writer: str) -> None:
    """A kill between two commits: the journal stays, readers see the earlier run whole, and the
    next writer (a run, or an ingest) rolls the half-committed run back."""
    from stedi.commit import transaction as run_module

    before, files = contents(house), lake_files(house)
    real = IcebergStore.change_contents
    calls = []

    def dies(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == 3:
            raise SystemExit("killed")  # stands for kill -9: no rollback may run in-process
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IcebergStore, "change_contents", dies)
    monkeypatch.setattr(run_module, "_undo", lambda lake, journal, error, say, quiet=False: (False, False))
    with pytest.raises(SystemExit):
        house.run(consent_policy="strict")
    assert (Path(house.path) / "journal.json").exists()
    reader = Lakehouse(house.path)
    assert contents(reader) == before  # two tables are committed in the catalog, yet unseen
    monkeypatch.undo()
    if next_writer == "run":
        house.run(consent_policy="any-time")  # recovers first: rolls the dead run back
    else:
        house.ingest(Path(house.path).parent / "d")  # nothing new to copy, but a writer: it recovers
    assert contents(house) == before
    assert lake_files(house) == files
    assert not (Path(house.path) / "journal.json").exists()


@pytest.mark.parametrize("fail_at", [1, 4, 6])
def test_a_first_run_that_fails_partway_leaves_no_table_and_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    delivery = write_delivery(tmp_path / "d", customer=[customer(A, "s1", consent=100)],
                              accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    real = IcebergStore.change_contents
    calls = []

    def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == fail_at:
            raise OSError("Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IcebergStore, "change_contents", failing)
    with pytest.raises(OSError):
        house.run()
    assert [t.rows for t in house.tables() if t.zone != "landing"] == [None] * 6
    assert lake_files(house) == set()
    assert house.lake.store.metadata_locations() == {}
    monkeypatch.undo()
    house.run()
    assert len(house.table("machine_learning_curated").to_arrow()) == 1


def test_half_copied_landing_files_of_a_killed_ingest_are_removed_by_the_next_writer(house: Lakehouse) -> None:
    # An ingest copies into `.<name>.partial` and renames; killed in between, the copy stays.
    landing = Path(house.path) / "accelerometer" / "landing"
    half = landing / ".accelerometer-9.json.partial"
    half.write_text('{"user": "a@test.com", "timestamp": 9')
    assert [e.name for e in house.lake.landing_files("accelerometer")] == ["accelerometer-1.json"]  # never read
    house.run()
    assert not half.exists()


def test_a_run_whose_state_another_writer_replaced_meanwhile_commits_nothing(
        house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit point is conditional on the state the run started from: a writer that passed its
    lock check and was stopped before its state write cannot write over the state of a writer
    that took over meanwhile (here: the same tables, under another run's id)."""
    before = contents(house)
    state_file = Path(house.path) / STATE_FILE
    theirs = state_file.read_text().replace(house.lake.state().run_id, "their-run")  # type: ignore[union-attr]
    real = LakeState.write

    def replaced_meanwhile(self, storage, **condition):  # type: ignore[no-untyped-def]
        state_file.write_text(theirs)
        return real(self, storage, **condition)

    monkeypatch.setattr(LakeState, "write", replaced_meanwhile)
    with pytest.raises(StediError, match=r"state.json: changed by another writer meanwhile; not replaced$"):
        house.run(consent_policy="strict")
    assert state_file.read_text() == theirs
    assert contents(Lakehouse(house.path)) == before  # its own commits undone: it still held the lock


def test_a_roll_back_puts_back_only_what_its_own_run_committed(house: Lakehouse, tmp_path: Path) -> None:
    """A writer's own undo, from a journal that is out of date: its commits were rolled back by a
    writer that took its lock over and committed a run of its own. Every table stays as that
    writer left it, every file of it kept."""
    lake = house.lake
    ours = lake.store.metadata_locations()  # the metadata before "our" run
    house.run(consent_policy="strict")  # the other writer's run
    after, files = contents(house), lake_files(house)
    journal = Journal("ours", {}, previous=dict(ours))
    journal.committed = {name: f"{location}.ours-rolled-back" for name, location in ours.items()}
    settle(lake, journal, own=True)
    assert contents(Lakehouse(house.path)) == after and lake_files(house) == files



def test_a_journal_naming_a_finishing_step_no_one_registered_stops_the_writer_in_one_line(tmp_path: Path) -> None:
    """A committed writer's remains are never skipped: a writer that cannot finish them stops,
    and the journal stays for one that can."""
    write_delivery(tmp_path / "delivery", customer=[customer("ann@x.test", "sn-1", consent=100)],
                   accelerometer=[reading("ann@x.test", 500)], step_trainer=[step("sn-1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "delivery")
    committed = house.run()
    Journal(run_id=committed.run_id, finish="defragment").write(house.lake.storage)  # as if it stopped there
    with pytest.raises(StediError, match=rf"run {committed.run_id} is committed but must still be finished "
                                         r"\(defragment\), and this command cannot finish it; run `stedi maintain`$"):
        house.run()
    assert Journal.read(house.lake.storage) is not None


@pytest.mark.parametrize("field, value", [("folders", {"x": "../victim"}), ("kept_aside", "../victim"),
                                          ("folders", {"x": "customer/../../victim"}), ("kept_aside", "/tmp/stedi-no-such-victim")])
def test_a_journal_naming_a_folder_outside_the_lake_is_refused_and_nothing_outside_is_touched(
        tmp_path: Path, field: str, value: object) -> None:
    """Recovery deletes and moves back what a journal names: a journal written by someone else,
    naming a folder outside the lake, must not make the next writer delete it."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep")
    write_delivery(tmp_path / "delivery", customer=[customer("ann@x.test", "sn-1", consent=100)],
                   accelerometer=[reading("ann@x.test", 500)], step_trainer=[step("sn-1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "delivery")
    hostile = {"run_id": "20260101T000000-deadbeef", field: value}
    (tmp_path / "lake" / "journal.json").write_text(json.dumps(hostile))
    with pytest.raises(StediError, match=r"journal.json: unreadable journal of an unfinished run \(it names .*, which "
                                         r"is not a folder inside the lake\)"):
        house.run()
    assert (victim / "precious.txt").read_text() == "keep"
