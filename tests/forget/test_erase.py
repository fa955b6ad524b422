"""`stedi forget`: a person erased from every file of the lake, everyone else's rows untouched.

The proof is tests/erasure_scan.py: every file of the lake decoded as a reader decodes it
(Parquet values and statistics, Avro manifests and their bounds, JSON, SQLite, raw bytes)
holds none of the person's email, name, phone or serial number afterwards.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.errors import StediError
from stedi.store.iceberg_store import IcebergStore
from tests.conftest import customer, deliver, reading, step
from tests.erasure_scan import assert_no_hits, scan_folder
from tests.reference import assert_lake_matches

ANN = "ann.erased@test.com"
BOB, CAT = "bob@test.com", "cat@test.com"
ANN_VALUES = [ANN, "Ann Erasedname", "8015550147", "ann-serial-7f3c"]
LATER = 4_102_444_800_000  # 2100-01-01: a registration after any erasure made by these tests


def person(email: str, serial: str, name: str, phone: str, **extra: object) -> dict:
    return customer(email, serial, consent=100, customerName=name, phone=phone, **extra)


def first_delivery(house: Lakehouse, root: Path, day: int = 1) -> None:
    deliver(house, root, day,
            customer=[person(ANN, "ann-serial-7f3c", "Ann Erasedname", "8015550147"),
                      person(BOB, "bob-serial", "Bob Kept", "8015550002"),
                      person(CAT, "cat-serial", "Cat Kept", "8015550003"),
                      '{"email": "ann.erased@test.com", "customerName": "Ann Erasedname", "phone": '],
            accelerometer=[reading(ANN, 500, x=1.0), "not json", reading(BOB, 500, x=2.0), reading(CAT, 600),
                           reading(ANN, 600, x=3.0), '{"user": "ann.erased@test.com", "timestamp": 7'],
            step_trainer=[step("ann-serial-7f3c", 500), step("bob-serial", 500), step("cat-serial", 600)])


def rows(house: Lakehouse) -> dict[str, list[str]]:
    return {t.name: sorted(map(repr, house.table(t.name).to_arrow().to_pylist()))
            for t in house.tables() if t.zone != "landing"}


def without(rows_: dict[str, list[str]], *needles: str) -> dict[str, list[str]]:
    return {name: [r for r in found if not any(n in r for n in needles)] for name, found in rows_.items()}


@pytest.fixture
def house(tmp_path: Path) -> Lakehouse:
    house = Lakehouse(tmp_path / "lake", create=True)
    first_delivery(house, tmp_path)
    house.run()
    deliver(house, tmp_path, 2, accelerometer=[reading(BOB, 700, x=4.0), reading(ANN, 700, x=5.0)])
    house.run()  # a second snapshot of the tables, which still holds Ann
    return house


def test_forget_erases_every_trace_and_leaves_everyone_else(reports_on: None, house: Lakehouse,
                                                            tmp_path: Path) -> None:
    # (reports_on: the runs write their reports, which quote her quarantined lines until she is forgotten)
    before = rows(house)
    key = hashlib.sha256((house.lake.config.pseudonym_key + ANN).encode()).hexdigest()
    found = scan_folder(Path(house.path), ANN_VALUES)  # the scan finds her before, in the reports too
    assert found and any(h.file.startswith("reports/") or "/reports/" in h.file for h in found)
    report = house.forget([ANN])
    assert_no_hits(scan_folder(Path(house.path), ANN_VALUES), "the lake after forgetting Ann")
    # Everyone else's rows are as they were; hers are gone from every table (ML: by her key).
    after = rows(house)
    assert after.pop("quarantine") != before["quarantine"]
    assert after == without({k: v for k, v in before.items() if k != "quarantine"}, ANN, "Ann Erasedname",
                            "ann-serial", key)
    # Quarantine keeps the other bad line, renumbered: her line above it is gone from the file.
    assert [(r["file"], r["line"], r["raw"]) for r in house.table("quarantine").to_arrow().to_pylist()] == [
        ("accelerometer/landing/accelerometer-1.json", 1, "not json")]
    assert report.people[0]["customer_key"] == key and report.people[0]["records_found"] == 1
    assert report.landing_lines_removed == {"customer/landing/customer-1.json": 2,
                                            "accelerometer/landing/accelerometer-1.json": 3,
                                            "accelerometer/landing/accelerometer-2.json": 1,
                                            "step_trainer/landing/step_trainer-1.json": 1}
    assert report.rows_removed == {"customer_accepted": 1, "accelerometer_accepted": 3, "step_trainer_accepted": 1,
                                   "customer_trusted": 1, "accelerometer_trusted": 3, "customer_curated": 1,
                                   "step_trainer_trusted": 1, "machine_learning_curated": 1, "quarantine": 2}
    assert report.snapshots_expired > 0
    # The lake equals a full rebuild of the rewritten landing, quarantine line numbers included.
    assert_lake_matches(house, None, "strict")
    assert house.run().nothing_new  # the rewritten files are recorded as read
    kept_rows = rows(house)
    assert house.run(full=True).full_reason and rows(house) == kept_rows
    # The report keeps her keyed hash and counts, nothing personal.
    kept = json.loads((Path(house.path) / f"erasures/{report.erasure_id}/report.json").read_text())
    assert kept["people"][0]["customer_key"] == key and kept["files_deleted"] == report.files_deleted


def test_time_travel_cannot_bring_her_back(house: Lakehouse) -> None:
    # (run ids have one-second resolution: two runs of one second sort by their random part)
    records = [json.loads(p.read_text()) for p in (Path(house.path) / "runs").glob("*.json")]
    first_run = min(records, key=lambda r: r["committed_at_ms"])["run_id"]
    assert house.query("SELECT count(*) AS n FROM accelerometer_trusted", as_of=first_run).to_pylist() == [{"n": 4}]
    report = house.forget([ANN])
    # The forget expired them, not retention: the error says so, not "keep_snapshots".
    with pytest.raises(StediError, match=f"a forget \\(erasure {report.erasure_id} at .*\\) expired every older"):
        house.query("SELECT count(*) FROM accelerometer_trusted", as_of=first_run)


def test_her_old_data_delivered_again_stays_out_and_a_new_registration_comes_in(house: Lakehouse, tmp_path: Path) -> None:
    house.forget([ANN])
    first_delivery(house, tmp_path / "again", day=3)  # the very same old lines, delivered again
    summary = house.run()
    assert summary.table("customer_landing").erased == 2 and summary.table("accelerometer_landing").erased == 3
    lake_rows = rows(house)
    assert not any(ANN in r for found in lake_rows.values() for r in found)
    assert_no_hits([h for h in scan_folder(Path(house.path), ANN_VALUES) if "/landing/" not in h.file],
                   "tables after her old data came again")
    deliver(house, tmp_path, 4, customer=[person(ANN, "ann-new-serial", "Ann Again", "8015550999",
                                                 registrationDate=LATER, lastUpdateDate=LATER)],
            accelerometer=[reading(ANN, LATER + 10, x=9.0), reading(ANN, 800)])
    house.run()
    trusted = house.table("accelerometer_trusted").to_arrow().to_pylist()
    assert [(r["timestamp"], r["x"]) for r in trusted if r["user"] == ANN] == [(LATER + 10, 9.0)]


def test_a_serial_she_shared_becomes_attributable_to_the_other_holder(tmp_path: Path) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    deliver(house, tmp_path, 1, customer=[person(ANN, "shared", "Ann Erasedname", "8015550147"),
                                          person(BOB, "shared", "Bob Kept", "8015550002")],
            accelerometer=[reading(ANN, 500), reading(BOB, 500)], step_trainer=[step("shared", 500)])
    house.run()
    assert house.table("step_trainer_trusted").to_arrow().num_rows == 0
    house.forget([ANN])
    assert [r["serialnumber"] for r in house.table("step_trainer_trusted").to_arrow().to_pylist()] == ["shared"]
    assert_lake_matches(house, None, "strict")


def test_a_forget_that_fails_leaves_the_lake_as_before(house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = {p: p.read_bytes() for p in Path(house.path).glob("*/landing/*.json")}
    before, snapshots = rows(house), {t.name: t.snapshot_id for t in house.tables()}
    real, calls = IcebergStore.change_contents, []

    def fail_third(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        if len(calls) == 3:
            raise OSError("No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(IcebergStore, "change_contents", fail_third)
    with pytest.raises(OSError):
        house.forget([ANN])
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in Path(house.path).glob("*/landing/*.json")} == landing
    assert rows(house) == before and {t.name: t.snapshot_id for t in house.tables()} == snapshots
    assert not list(Path(house.path).glob("forget-*")) and not (Path(house.path) / "journal.json").exists()
    assert not list((Path(house.path) / "erasures").glob("*")) if (Path(house.path) / "erasures").exists() else True
    house.forget([ANN])  # and it can be done again
    assert_no_hits(scan_folder(Path(house.path), ANN_VALUES))


def test_cli_forget(house: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "people.txt"
    listed.write_text(f"# to forget\n{ANN}\n\n", encoding="utf-8")
    assert main(["forget", "--from-file", str(listed), "--lake", house.path]) == 0
    out = capsys.readouterr().out
    assert "machine_learning_curated" in out and "customer_key" in out and ANN not in out
    assert main(["forget", "--lake", house.path]) == 2  # a usage error, as for a wrong argument
    assert "no email given" in capsys.readouterr().err


def test_a_change_rewrites_the_files_of_the_customers_it_touches_not_the_table(
        house: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.pipeline import build

    monkeypatch.setattr(build, "CLUSTER_BYTES", 64)  # a full build writes each table in files by customer
    house.run(full=True)
    table = house.committed("accelerometer_trusted")
    assert table is not None
    before = set(house.store.data_files("accelerometer_trusted", table))
    assert len(before) == 3 and all("/stedi_bucket=" in f for f in before)  # Ann, Bob and Cat apart
    report = house.forget([ANN])
    table = house.committed("accelerometer_trusted")
    assert table is not None
    after = set(house.store.data_files("accelerometer_trusted", table))
    assert len(before - after) == 1 and len(after - before) <= 1  # only the file that held her rows
    assert report.rows_removed["accelerometer_trusted"] == 3
    assert_lake_matches(house, None, "strict")
    assert_no_hits(scan_folder(Path(house.path), ANN_VALUES))
