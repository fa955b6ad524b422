"""`stedi tag` / `Lakehouse.tag`: a name for a run's version of the lake that `as_of` reads and
retention never expires; all or nothing like every writer, and changing nothing readers see now.

The lake: run 1 has customer a (consent at 100) with phone readings at 500 and 600; run 2 adds b,
and a's reading at 700. So a tag on run 1 reads 2 phone readings, the lake now reads 4.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from stedi import Lakehouse, StediError
from stedi.cli.main import main
from stedi.commit.transaction import WriterTransaction
from stedi.errors import UsageError
from stedi.maintain.retention import retain
from stedi.pipeline import tagging
from stedi.store.iceberg_store import IcebergStore
from tests.commit.lake_checks import orphans
from tests.conftest import customer, deliver, reading, step

A, B = "a@x.com", "b@x.com"
PHONE = "SELECT user, timestamp FROM accelerometer_trusted ORDER BY ALL"
RUN_1 = [(A, 500), (A, 600)]
RUN_2 = [(A, 500), (A, 600), (A, 700), (B, 800)]


def rows(house: Lakehouse, sql: str = PHONE, **kwargs: object) -> list[tuple]:
    return [tuple(r.values()) for r in house.query(sql, **kwargs).to_pylist()]  # type: ignore[arg-type]


def make_lake(root: Path) -> tuple[Lakehouse, list[str]]:
    house = Lakehouse(root / "lake", create=True)
    deliver(house, root, 1, customer=[customer(A, "s-a", consent=100)],
            accelerometer=[reading(A, 500), reading(A, 600)], step_trainer=[step("s-a", 500)])
    first = house.run().run_id
    deliver(house, root, 2, customer=[customer(B, "s-b", consent=100)],
            accelerometer=[reading(A, 700), reading(B, 800)], step_trainer=[step("s-b", 800)])
    return house, [first, house.run().run_id]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """Shared by the tests that only add tags of their own names."""
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("STEDI_")]:
            env.delenv(name)
        env.setenv("STEDI_REPORT", "off")
        return make_lake(tmp_path_factory.mktemp("tags"))


def every_row(house: Lakehouse, as_of: str) -> dict[str, list[str]]:
    """Every stored table's rows as of `as_of`, as a user compares them."""
    return {n: sorted(map(repr, house.table(n, as_of=as_of).to_arrow().to_pylist())) for n in house.lake.stored_tables}


def metadata(house: Lakehouse) -> dict[str, str]:
    return {n: t.metadata_location for n, t in house.lake.state().tables.items()}  # type: ignore[union-attr]


def test_a_tag_on_an_old_run_reads_that_run_and_changes_nothing_readers_see(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    state = house.lake.state()
    assert state is not None
    tag = house.tag("paper-2026.1", runs[0])
    assert (tag.name, tag.run_id, tag.deleted) == ("paper-2026.1", runs[0], False)
    after = house.lake.state()
    assert after is not None
    # The same run, the same snapshots: only the metadata files (which now hold the tag) changed.
    assert house.current_run == runs[1] == after.run_id
    assert {n: t.snapshot_id for n, t in after.tables.items()} == {n: t.snapshot_id for n, t in state.tables.items()}
    assert rows(house) == RUN_2
    assert rows(house, as_of="paper-2026.1") == RUN_1
    assert house.table("accelerometer_trusted", as_of="paper-2026.1").to_arrow().num_rows == 2
    assert house.as_of("paper-2026.1").describe() == f"paper-2026.1 (run {runs[0]})"
    # Every stored table carries the Iceberg tag, at the snapshot that run left it.
    for name, snapshot in tag.snapshots.items():
        assert IcebergStore.open(after.tables[name].metadata_location).metadata.refs["paper-2026.1"].snapshot_id \
            == snapshot
    assert [t.name for t in house.tags()] == ["paper-2026.1"] or "paper-2026.1" in [t.name for t in house.tags()]
    record = json.loads((Path(house.path) / "tags" / "paper-2026.1" / "record.json").read_text())
    assert record["run_id"] == runs[0] and [e["event"] for e in record["history"]] == ["created"]


def test_a_tag_without_a_run_names_the_current_run(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    assert house.tag("now").run_id == runs[1]
    assert rows(house, as_of="now") == RUN_2


@pytest.mark.parametrize("name, message", [
    ("main", "'main' cannot be a tag name"),
    ("MAIN", "'MAIN' cannot be a tag name"),
    ("stedi-erasure-x", "cannot be a tag name"),
    ("20261128T145000-1a2b3c4d", "is not a tag name"),  # a run id's shape
    ("2026-11-28", "is not a tag name"),  # a date as_of also takes
    ("1764340200000", "is not a tag name"),
    ("../etc", "is not a tag name"),
    ("a/b", "is not a tag name"),
    ("paper 2026", "is not a tag name"),
    ("", "is not a tag name"),
    ("x" * 101, "is not a tag name"),
    ("pâper", "is not a tag name"),
    ("a..b", "is not a tag name"),
])
def test_bad_tag_names_are_refused_in_one_line_before_anything_is_written(
        lake: tuple[Lakehouse, list[str]], name: str, message: str) -> None:
    house, _ = lake
    before = metadata(house)
    with pytest.raises(UsageError, match=message) as caught:
        house.tag(name)
    assert "\n" not in str(caught.value)
    assert metadata(house) == before and not (Path(house.path) / "journal.json").exists()


def test_an_existing_tag_is_refused_unless_replaced_and_its_history_grows(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    house.tag("draft", runs[1])
    with pytest.raises(StediError, match=f"tag draft exists already \\(run {runs[1]}\\).*replace=True"):
        house.tag("draft", runs[0])
    moved = house.tag("draft", runs[0], replace=True)
    assert rows(house, as_of="draft") == RUN_1
    assert [e["event"] for e in moved.history] == ["created", "moved"] and moved.run_id == runs[0]
    house.delete_tag("draft")
    assert "draft" not in [t.name for t in house.tags()]
    with pytest.raises(StediError, match="tag draft was deleted"):
        house.query(PHONE, as_of="draft")
    with pytest.raises(StediError, match="no tag draft"):
        house.delete_tag("draft")
    again = house.tag("draft", runs[1])  # a deleted name can be used again; its history stays
    assert [e["event"] for e in again.history] == ["created", "moved", "deleted", "created"]


def test_an_unknown_name_as_of_says_what_as_of_takes(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    with pytest.raises(StediError, match="as of 'nosuchtag': not a run id or a time; give a run id.*or a tag's name"):
        house.query(PHONE, as_of="nosuchtag")


def test_the_cli_tags_lists_reads_and_deletes(lake: tuple[Lakehouse, list[str]],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    house, runs = lake
    assert main(["tag", "cli-tag", runs[0], "--lake", house.path]) == 0
    assert f"cli-tag: run {runs[0]}" in capsys.readouterr().out
    assert main(["tag", "cli-tag", "--lake", house.path]) == 1
    assert "tag cli-tag exists already" in capsys.readouterr().err
    assert main(["tag", "--list", "--lake", house.path]) == 0
    assert f"cli-tag\trun {runs[0]}\t" in capsys.readouterr().out
    assert main(["query", "--as-of", "cli-tag", PHONE, "--lake", house.path, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["user,timestamp", f"{A},500", f"{A},600"] and f"as of cli-tag (run {runs[0]})" in err
    assert main(["tag", "--delete", "cli-tag", "--lake", house.path]) == 0
    assert main(["tag", "--lake", house.path]) == 2  # no name: a usage error
    assert "name the tag" in capsys.readouterr().err


def test_a_tag_that_fails_partway_leaves_no_table_tagged(lake: tuple[Lakehouse, list[str]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    house, runs = lake
    before = metadata(house)
    real, calls = tagging._set_ref, []

    def failing(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tagging, "_set_ref", failing)
    with pytest.raises(OSError):
        house.tag("half", runs[0])
    assert metadata(house) == before  # the two tables tagged were rolled back, the record deleted
    assert not any("half" in house.store.load(n).metadata.refs for n in before)  # type: ignore[union-attr]
    assert not (Path(house.path) / "tags" / "half").exists() and not (Path(house.path) / "journal.json").exists()
    assert orphans(house) == []


@pytest.mark.parametrize("dies_at, existing", [("third table", False), ("third table", True),
                                               ("after the commit point", False)])
def test_a_killed_tag_is_all_or_nothing_for_the_next_writer(lake: tuple[Lakehouse, list[str]],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            dies_at: str, existing: bool) -> None:
    from stedi.commit import transaction

    house, runs = lake
    name = f"killed-{len(dies_at)}-{existing}"
    record = Path(house.path) / "tags" / name / "record.json"
    if existing:
        house.tag(name, runs[1])
    before, text = metadata(house), record.read_text() if existing else None
    real, calls = tagging._set_ref, []

    def dies(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if dies_at == "third table" and len(calls) == 3:
            raise SystemExit("killed")  # stands for kill -9: no undo runs in-process
        return real(*args, **kwargs)  # type: ignore[arg-type]

    def killed_after_commit(self: WriterTransaction, warn: object) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(tagging, "_set_ref", dies)
    monkeypatch.setattr(WriterTransaction, "tidy_up", killed_after_commit)
    monkeypatch.setattr(transaction, "_undo", lambda lake, journal, error, say, quiet=False: (False, False))
    with pytest.raises(SystemExit):
        house.tag(name, runs[0], replace=True)
    assert (Path(house.path) / "journal.json").exists()
    monkeypatch.undo()
    # Meanwhile readers see the tag on every table or on none.
    if existing or dies_at != "third table":
        assert rows(house, as_of=name) == (RUN_2 if dies_at == "third table" else RUN_1)
    house.maintain()  # the next writer settles it: rolls it back, or keeps it
    assert not (Path(house.path) / "journal.json").exists() and house.current_run == runs[1]
    if dies_at == "third table":
        assert metadata(house) == before
        assert (record.read_text() if existing else record.exists()) == (text if existing else False)
        if not existing:
            with pytest.raises(StediError, match="not a run id or a time"):
                house.query(PHONE, as_of=name)
    else:
        assert rows(house, as_of=name) == RUN_1 and name in [t.name for t in house.tags()]
    assert orphans(house) == []


def test_retention_never_expires_a_tagged_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's test: a tagged version reads the same rows before and after 30 runs of
    retention (keep_snapshots=1, keep_days=0), each over newer snapshots of every table."""
    house, runs = make_lake(tmp_path)
    house.tag("paper", runs[0])
    tagged = every_row(house, "paper")
    assert tagged["accelerometer_trusted"] == sorted(map(repr, [{"user": A, "timestamp": 500, "x": 0.0, "y": 0.0,
                                                                 "z": 0.0}, {"user": A, "timestamp": 600, "x": 0.0,
                                                                             "y": 0.0, "z": 0.0}]))
    lake, store = house.lake, house.lake.store
    names = sorted(tagged)
    for number in range(30):  # each time a newer snapshot of one table (an empty append), in turn
        state = lake.state()
        assert state is not None
        name = names[number % len(names)]
        table = store.load(name)
        assert table is not None
        with table.transaction() as tx, tx.update_snapshot({"stedi.run-id": state.run_id}).fast_append():
            pass
        state.tables[name] = replace(state.tables[name], metadata_location=table.metadata_location,
                                     snapshot_id=table.metadata.current_snapshot_id)
        state.write(lake.storage)
        # As after each run: only the tables with something to expire are searched (every_table=False).
        report = retain(lake, keep_snapshots=1, keep_days=0, margin_seconds=0, every_table=False)
        assert report.expired == {name: 1} if number >= len(names) else True  # the one before it; never the tag's
    assert every_row(house, "paper") == tagged
    assert main(["maintain", "--keep-snapshots", "1", "--keep-days", "0", "--lake", house.path]) == 0
    assert every_row(house, "paper") == tagged
    assert orphans(house) == []
    house.delete_tag("paper")  # untagged, the old snapshots go at the next retention
    house.maintain(keep_snapshots=1, keep_days=0)
    with pytest.raises(StediError, match="cannot be read as of"):
        house.table("accelerometer_trusted", as_of=runs[0]).to_arrow()
