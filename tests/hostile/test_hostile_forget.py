"""Forget erases the person and nobody else, whatever the lines around them hold, and whoever
types the command (issue Trust, 1-3 and 10).

Craig is forgotten. Bob only mentions him: in a key the tables ignore (`referredBy`), in his
`customerName`, in a quarantined line. Bob's lines stay, with the mention replaced; the tables
equal a full rebuild of the rewritten landing; no trace of Craig is left in any file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.errors import UsageError
from stedi.forget.person import MARKER
from tests.conftest import customer, deliver, reading, step
from tests.erasure_scan import assert_no_hits, scan_folder
from tests.reference import assert_lake_matches

CRAIG, BOB, DEE = "Craig.Fibonnaci@test.com", "bob.kept@test.com", "dee.kept@test.com"
CRAIG_VALUES = [CRAIG, CRAIG.lower(), "8015550199", "craig-serial-0000-1111"]


def person(email: str, serial: str, name: str, phone: str, **extra: object) -> dict:
    return customer(email, serial, consent=100, customerName=name, phone=phone, **extra)


@pytest.fixture
def lake(tmp_path: Path) -> Lakehouse:
    house = Lakehouse(tmp_path / "lake", create=True)
    deliver(house, tmp_path, 1,
            customer=[person(CRAIG, "craig-serial-0000-1111", "Craig Fibonnaci", "8015550199")],
            accelerometer=[reading(CRAIG, 500, x=1.0), reading(CRAIG.upper(), 600, x=2.0)],
            step_trainer=[step("craig-serial-0000-1111", 500)])
    deliver(house, tmp_path, 2,
            customer=[person(BOB, "bob-serial", "Bob Kept", "8015550002", referredBy=CRAIG),
                      person(DEE, "dee-serial", CRAIG.lower(), "8015550003"),
                      '{"email": "bob.kept@test.com", "note": "call ' + CRAIG + ' at 8015550199", "cut'],
            accelerometer=[reading(BOB, 500, x=3.0), reading(DEE, 600, x=4.0)],
            step_trainer=[step("bob-serial", 500), step("dee-serial", 600)])
    house.run()
    return house


def landing(house: Lakehouse) -> dict[str, bytes]:
    return {p.relative_to(house.path).as_posix(): p.read_bytes() for p in Path(house.path).glob("*/landing/*.json")}


def test_a_mention_is_redacted_in_place_and_its_line_and_owner_stay(lake: Lakehouse) -> None:
    before = landing(lake)
    bob_rows = lake.query(f"SELECT * FROM accelerometer_trusted WHERE user = '{BOB}'").to_pylist()
    report = lake.forget(CRAIG)
    after = landing(lake)
    # Bob's and Dee's lines are all still there, byte for byte but for the mention.
    customers = after["customer/landing/customer-2.json"].decode().splitlines()
    assert len(customers) == 3
    assert json.loads(customers[0])["email"] == BOB and json.loads(customers[0])["referredBy"] == MARKER
    assert json.loads(customers[1])["customerName"] == MARKER and json.loads(customers[1])["email"] == DEE
    assert customers[2] == before["customer/landing/customer-2.json"].decode().splitlines()[2].replace(
        CRAIG, MARKER).replace("8015550199", MARKER)
    assert after["accelerometer/landing/accelerometer-2.json"] == before["accelerometer/landing/accelerometer-2.json"]
    # His own lines went, both spellings of his email; his landing files are empty.
    assert after["customer/landing/customer-1.json"] == b"" and after["accelerometer/landing/accelerometer-1.json"] == b""
    # Lines removed and values redacted are counted apart.
    assert report.landing_lines_removed == {"customer/landing/customer-1.json": 1,
                                            "accelerometer/landing/accelerometer-1.json": 2,
                                            "step_trainer/landing/step_trainer-1.json": 1}
    assert report.landing_values_redacted == {"customer/landing/customer-2.json": 4}
    assert report.spellings == sorted({CRAIG, CRAIG.upper()})
    # Bob and Dee are in every table; Dee's name is the marker now; the lake is a full rebuild.
    assert lake.query(f"SELECT * FROM accelerometer_trusted WHERE user = '{BOB}'").to_pylist() == bob_rows
    names = {r["email"]: r["customername"] for r in lake.table("customer_curated").to_arrow().to_pylist()}
    assert names == {BOB: "Bob Kept", DEE: MARKER}
    assert_lake_matches(lake, None, "strict")
    assert report.rows_removed["customer_accepted"] == 1 and "customer_trusted" in report.rows_removed
    # No trace of him in any file: rows, Parquet statistics, manifests, quarantine, reports.
    assert_no_hits(scan_folder(Path(lake.path), CRAIG_VALUES), "the lake after forgetting Craig")


def test_quarantined_mentions_are_redacted_and_renumbered_as_a_rebuild_would(lake: Lakehouse) -> None:
    lake.forget(CRAIG)
    rows = lake.table("quarantine").to_arrow().to_pylist()
    assert [(r["file"], r["line"]) for r in rows] == [("customer/landing/customer-2.json", 3)]
    assert CRAIG.lower() not in rows[0]["raw"].lower() and MARKER in rows[0]["raw"]
    assert lake.run().nothing_new  # the rewritten files are recorded as read
    assert lake.run(full=True).full_reason and lake.table("quarantine").to_arrow().to_pylist() == rows


def test_any_spelling_of_the_email_is_the_person(lake: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forget", f"  {CRAIG.upper()}  ", "--lake", lake.path]) == 0
    out = capsys.readouterr().out
    assert "nothing of theirs was found" not in out and "2 spellings of one email found" in out
    assert CRAIG.lower() not in out.lower()  # keyed hashes only, as the report keeps them
    assert lake.query("SELECT count(*) AS n FROM accelerometer_landing WHERE lower(user) = "
                      f"'{CRAIG.lower()}'").to_pylist() == [{"n": 0}]
    assert_no_hits(scan_folder(Path(lake.path), CRAIG_VALUES))


@pytest.mark.parametrize("argument", ["*", "x' OR '1'='1", "not-an-email", "@test.com", "a@", "a b@test.com"])
def test_an_argument_that_is_not_an_email_is_refused(lake: Lakehouse, argument: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    before = landing(lake)
    assert main(["forget", argument, "--lake", lake.path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an email address" in err[0]
    assert not (Path(lake.path) / "erasures").exists() or not list((Path(lake.path) / "erasures").iterdir())
    assert landing(lake) == before
    with pytest.raises(UsageError):
        lake.forget(argument)


def test_a_string_is_one_email_not_its_characters(lake: Lakehouse) -> None:
    report = lake.forget("someone@example.com")
    assert len(report.people) == 1 and report.people[0]["records_found"] == 0
    assert not report.landing_lines_removed and not report.rows_removed


def test_a_line_nested_far_too_deep_never_stops_a_forget(tmp_path: Path) -> None:
    house = Lakehouse(tmp_path / "lake", create=True)
    deep = '{"user": "bob.kept@test.com", "x": ' + "[" * 100_000 + "1" + "]" * 100_000 + "}"
    deep_mention = '{"note": ' + "{\"a\": " * 50_000 + json.dumps(CRAIG) + "}" * 50_000 + "}"
    deliver(house, tmp_path, 1, customer=[person(CRAIG, "craig-serial-0000-1111", "Craig F", "8015550199")],
            accelerometer=[deep, deep_mention, reading(CRAIG, 500), reading(BOB, 500)])
    house.run()
    assert house.table("quarantine").to_arrow().num_rows == 2
    report = house.forget(CRAIG)
    assert report.landing_lines_removed and report.landing_values_redacted
    assert house.table("quarantine").to_arrow().num_rows == 2
    assert_no_hits(scan_folder(Path(house.path), CRAIG_VALUES))


def test_a_forget_then_a_full_run_then_a_delivery_reads_only_the_new_file(lake: Lakehouse, tmp_path: Path) -> None:
    lake.forget(CRAIG)
    assert lake.run(full=True).full_reason == "--full asked for it"
    deliver(lake, tmp_path, 3, accelerometer=[reading(BOB, 900)])
    summary = lake.run()
    assert summary.full_reason == "" and summary.files_read == 1


def test_his_resent_record_registered_before_the_erasure_stays_out(lake: Lakehouse, tmp_path: Path) -> None:
    report = lake.forget(CRAIG)
    later = report.erased_at_ms + 1000
    # Re-sent, with a later lastUpdateDate; but registered before he was forgotten: old data.
    deliver(lake, tmp_path, 3, customer=[person(CRAIG.lower(), "craig-serial-0000-1111", "Craig F", "8015550199",
                                                registrationDate=500, lastUpdateDate=later)],
            accelerometer=[reading(CRAIG, 700)])
    summary = lake.run()
    assert summary.table("customer_landing").erased == 1
    tables = [t.name for t in lake.tables() if t.zone != "landing" and t.name != "quarantine"]
    for name in tables:
        assert CRAIG.lower() not in json.dumps(lake.table(name).to_arrow().to_pylist(), default=str).lower(), name
