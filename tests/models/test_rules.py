"""Each rule of the issue on a few hand-written rows; expected rows worked out by hand."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from stedi import Lakehouse
from tests.conftest import customer, reading, step, write_delivery

A, B, C = "a@test.com", "b@test.com", "c@test.com"


def build(tmp_path: Path, policy: str = "strict", **sources: list) -> dict[str, list[dict]]:
    delivery = write_delivery(tmp_path / "delivery", **sources)
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run(consent_policy=policy)
    tables = ("customer_trusted", "accelerometer_trusted", "customer_curated", "step_trainer_trusted",
              "machine_learning_curated", "quarantine")
    return {t: house.table(t).to_arrow().to_pylist() for t in tables}


def emails(rows: list[dict]) -> list[str]:
    return sorted(r["email"] for r in rows)


def test_consent_key_absent_and_null_both_mean_no_consent(tmp_path: Path) -> None:
    out = build(tmp_path, customer=[customer(A, "s1", consent="absent"), customer(B, "s2", consent=None),
                                    customer(C, "s3", consent=100)])
    assert emails(out["customer_trusted"]) == [C]


@pytest.mark.parametrize("policy, kept", [("strict", [200, 300]), ("any-time", [100, 200, 300])])
def test_readings_before_consent_depend_on_policy(tmp_path: Path, policy: str, kept: list[int]) -> None:
    # Consent at 200: the reading at 100 precedes it; 200 is "at" consent and counts.
    out = build(tmp_path, policy,
                customer=[customer(A, "s1", consent=200)],
                accelerometer=[reading(A, 100), reading(A, 200), reading(A, 300)],
                step_trainer=[step("s1", 100), step("s1", 200), step("s1", 300)])
    assert sorted(r["timestamp"] for r in out["accelerometer_trusted"]) == kept
    assert sorted(r["sensorreadingtime"] for r in out["step_trainer_trusted"]) == kept
    assert sorted(r["sensorreadingtime"] for r in out["machine_learning_curated"]) == kept


def test_resent_record_withdrawing_consent_wins(tmp_path: Path) -> None:
    # A consented at update 1000, then a later record (update 2000) without the key.
    out = build(tmp_path, customer=[customer(A, "s1", updated=1000, consent=100), customer(A, "s1", updated=2000),
                                    customer(B, "s2", updated=2000, consent=100), customer(B, "s2", updated=1000)],
                accelerometer=[reading(A, 500), reading(B, 500)])
    assert emails(out["customer_trusted"]) == [B]
    assert [r["user"] for r in out["accelerometer_trusted"]] == [B]


@pytest.mark.parametrize("none", ["absent", None])
@pytest.mark.parametrize("consent_first", [True, False])
def test_same_millisecond_update_resolves_towards_no_consent(tmp_path: Path, none: object, consent_first: bool) -> None:
    records = [customer(A, "s1", updated=1000, consent=100), customer(A, "s1", updated=1000, consent=none)]
    out = build(tmp_path, customer=records if consent_first else records[::-1], accelerometer=[reading(A, 500)])
    assert out["customer_trusted"] == [] and out["accelerometer_trusted"] == []


@pytest.mark.parametrize("later_first", [True, False])
def test_same_millisecond_update_with_two_consent_dates_takes_the_later(tmp_path: Path, later_first: bool) -> None:
    # Both records consent, at 100 and at 300, updated in the same millisecond. The later
    # date wins: under strict, the readings at 100 and 200 (between the two dates) are out.
    records = [customer(A, "s1", updated=1000, consent=300), customer(A, "s1", updated=1000, consent=100)]
    out = build(tmp_path, customer=records if later_first else records[::-1],
                accelerometer=[reading(A, t) for t in (100, 200, 300, 400)],
                step_trainer=[step("s1", t) for t in (100, 200, 300, 400)])
    assert [r["sharewithresearchasofdate"] for r in out["customer_trusted"]] == [300]
    assert [r["sharewithresearchasofdate"] for r in out["customer_curated"]] == [300]
    assert sorted(r["timestamp"] for r in out["accelerometer_trusted"]) == [300, 400]
    assert sorted(r["sensorreadingtime"] for r in out["step_trainer_trusted"]) == [300, 400]
    assert sorted(r["sensorreadingtime"] for r in out["machine_learning_curated"]) == [300, 400]


def test_a_later_update_wins_over_a_later_consent_date(tmp_path: Path) -> None:
    # The tie rules only break ties: the record updated last decides, though its consent is earlier.
    out = build(tmp_path, accelerometer=[reading(A, 200)],
                customer=[customer(A, "s1", updated=1000, consent=300), customer(A, "s1", updated=2000, consent=100)])
    assert [r["sharewithresearchasofdate"] for r in out["customer_trusted"]] == [100]
    assert [r["timestamp"] for r in out["accelerometer_trusted"]] == [200]


def test_customer_tables_keep_every_column(tmp_path: Path) -> None:
    full = customer(A, "s1", updated=1000, consent=100, customerName="Ann Smith", phone="8015550123",
                    birthDay="993-01-05", registrationDate=400, shareWithPublicAsOfDate=150,
                    shareWithFriendsAsOfDate=160)
    bare = {"email": B, "serialNumber": "s2", "registrationDate": 450, "lastUpdateDate": 1100,
            "shareWithResearchAsOfDate": 120}  # the optional fields absent
    out = build(tmp_path, customer=[full, bare], accelerometer=[reading(A, 500), reading(B, 500)])
    expected = [
        {"customername": "Ann Smith", "email": A, "phone": "8015550123", "birthday": datetime.date(993, 1, 5),
         "serialnumber": "s1", "registrationdate": 400, "lastupdatedate": 1000, "sharewithresearchasofdate": 100,
         "sharewithpublicasofdate": 150, "sharewithfriendsasofdate": 160},
        {"customername": None, "email": B, "phone": None, "birthday": None, "serialnumber": "s2",
         "registrationdate": 450, "lastupdatedate": 1100, "sharewithresearchasofdate": 120,
         "sharewithpublicasofdate": None, "sharewithfriendsasofdate": None},
    ]
    for name in ("customer_trusted", "customer_curated"):
        assert sorted(out[name], key=lambda r: r["email"]) == expected, name


def test_duplicate_accelerometer_records_count_once(tmp_path: Path) -> None:
    out = build(tmp_path, customer=[customer(A, "s1", consent=100)],
                accelerometer=[reading(A, 500, 1.0), reading(A, 500, 1.0), reading(A, 500, 2.0)])
    assert sorted(r["x"] for r in out["accelerometer_trusted"]) == [1.0, 2.0]


def test_customer_curated_needs_a_trusted_reading(tmp_path: Path) -> None:
    # B consented at 900 but only has a reading at 500: none is trusted under strict.
    out = build(tmp_path, customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=900),
                                    customer(C, "s3", consent=100)],
                accelerometer=[reading(A, 500), reading(A, 600), reading(B, 500)])
    assert emails(out["customer_curated"]) == [A]
    assert set(out["customer_curated"][0]) == {
        "customername", "email", "phone", "birthday", "serialnumber", "registrationdate", "lastupdatedate",
        "sharewithresearchasofdate", "sharewithpublicasofdate", "sharewithfriendsasofdate"}


def test_serial_number_shared_by_two_customers_is_left_out(tmp_path: Path) -> None:
    # A and B both hold "dup"; only C's serial is attributable. Even B's lack of consent
    # does not make "dup" A's: the readings cannot be attributed.
    house_rows = build(tmp_path,
                       customer=[customer(A, "dup", consent=100), customer(B, "dup"), customer(C, "s3", consent=100)],
                       accelerometer=[reading(A, 500), reading(C, 500)],
                       step_trainer=[step("dup", 500), step("dup", 600), step("s3", 500)])
    assert [r["serialnumber"] for r in house_rows["step_trainer_trusted"]] == ["s3"]
    summary = Lakehouse(tmp_path / "lake").run()
    assert (summary.shared_serial_numbers, summary.shared_serial_readings) == (1, 2)


def test_machine_learning_never_pairs_two_customers(tmp_path: Path) -> None:
    # A and B both have readings at 500. A's step trainer at 500 pairs with A's phone only.
    out = build(tmp_path,
                customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=100)],
                accelerometer=[reading(A, 500, x=1.0), reading(A, 500, x=1.5), reading(B, 500, x=9.0)],
                step_trainer=[step("s1", 500, 42)])
    rows = out["machine_learning_curated"]
    assert sorted(r["x"] for r in rows) == [1.0, 1.5]
    assert {r["distancefromobject"] for r in rows} == {42}
    assert len({r["customer_key"] for r in rows}) == 1


def test_machine_learning_has_no_personal_data(tmp_path: Path) -> None:
    out = build(tmp_path, customer=[customer(A, "s1", consent=100)],
                accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500)])
    row = out["machine_learning_curated"][0]
    assert set(row) == {"customer_key", "sensorreadingtime", "distancefromobject", "x", "y", "z"}
    assert A not in str(row.values()) and "s1" not in [str(v) for v in row.values()]
    assert len(row["customer_key"]) == 64  # a SHA-256 in hex


def test_pseudonym_is_keyed_per_lake(tmp_path: Path) -> None:
    rows = dict(customer=[customer(A, "s1", consent=100)], accelerometer=[reading(A, 500)],
                step_trainer=[step("s1", 500)])
    first = build(tmp_path / "one", **rows)["machine_learning_curated"][0]["customer_key"]
    second = build(tmp_path / "two", **rows)["machine_learning_curated"][0]["customer_key"]
    import hashlib

    assert first != second  # each lake has its own key
    assert hashlib.sha256(A.encode()).hexdigest() not in (first, second)  # not a plain hash of the email


def test_malformed_lines_go_to_quarantine_and_the_run_goes_on(tmp_path: Path) -> None:
    bad = [
        '{"user": "a@test.com", "timestamp": 600, "x": 1.0, "y": 0.0',  # truncated
        "not json at all",
        '{"user": "a@test.com", "x": 1.0, "y": 0.0, "z": 0.0}',  # timestamp missing
        '{"user": "a@test.com", "timestamp": "700", "x": 1.0, "y": 0.0, "z": 0.0}',  # wrong type
        '{"user": "a@test.com", "timestamp": 800, "x": "abc", "y": 0.0, "z": 0.0}',  # wrong type
        '[1, 2, 3]',
    ]
    out = build(tmp_path, customer=[customer(A, "s1", consent=100), '{"email": "b@test.com"}'],
                accelerometer=[reading(A, 500), *bad, reading(A, 900)])
    assert sorted(r["timestamp"] for r in out["accelerometer_trusted"]) == [500, 900]
    quarantined = [(r["source"], r["line"]) for r in out["quarantine"]]
    assert quarantined == [("customer", 2)] + [("accelerometer", n) for n in range(2, 8)]
    assert out["quarantine"][0]["reason"] == "missing required field 'serialNumber'"
    reasons = [r["reason"] for r in out["quarantine"][1:]]
    assert reasons[0].startswith("truncated JSON")
    assert reasons[1].startswith("malformed JSON")
    assert reasons[2] == "missing required field 'timestamp'"
    assert reasons[3] == "field 'timestamp' must be a number, got string \"700\""
    assert reasons[4] == "field 'x' must be a number, got string \"abc\""
    assert reasons[5] == "not a JSON object but array"
    assert out["quarantine"][2]["raw"] == "not json at all"
    assert out["quarantine"][1]["file"] == "accelerometer/landing/accelerometer-1.json"


def test_duplicate_step_trainer_records_count_once(tmp_path: Path) -> None:
    out = build(tmp_path, customer=[customer(A, "s1", consent=100)], accelerometer=[reading(A, 500)],
                step_trainer=[step("s1", 500, 7), step("s1", 500, 7), step("s1", 500, 8)])
    assert sorted(r["distancefromobject"] for r in out["step_trainer_trusted"]) == [7, 8]
    assert sorted(r["distancefromobject"] for r in out["machine_learning_curated"]) == [7, 8]


def test_step_readings_need_their_customer_curated(tmp_path: Path) -> None:
    # A consented at 300 and has a phone reading only before that: trusted, but not curated
    # under strict, so A's step trainer readings (after consent) are not trusted either.
    out = build(tmp_path, customer=[customer(A, "s1", consent=300), customer(B, "s2", consent=300)],
                accelerometer=[reading(A, 100), reading(B, 400)],
                step_trainer=[step("s1", 400), step("s2", 400)])
    assert emails(out["customer_trusted"]) == [A, B] and emails(out["customer_curated"]) == [B]
    assert [r["serialnumber"] for r in out["step_trainer_trusted"]] == ["s2"]


# -- The cases the real data has (issue 12): where consent falls against the readings, three-
# digit years, several customers in one millisecond. Readings every 3,000 ms, as a real
# customer's (one fixed period), a step-trainer reading at each phone millisecond.

D, E = "d@test.com", "e@test.com"
TICKS = (1000, 4000, 7000)


def readings_of(user: str, serial: str, x: float) -> dict[str, list]:
    """Two phone readings at each tick (x and -x) and one step-trainer reading (distance = tick / 100)."""
    return {
        "accelerometer": [reading(user, t, x=v) for t in TICKS for v in (x, -x)],
        "step_trainer": [step(serial, t, t // 100) for t in TICKS],
    }


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_consent_before_the_first_during_and_after_the_last_reading(tmp_path: Path, policy: str) -> None:
    # A registered and consented at 500, before its first reading (1000): every reading counts.
    # B registered at 2000 and consented when its record was updated at 8000, after its last
    # reading (7000): under strict none counts, so B is trusted but not curated.
    # C registered and consented at 4000, at its second reading: under strict 4000 and 7000 count.
    a, b, c = (readings_of(user, serial, x) for user, serial, x in ((A, "s1", 1.0), (B, "s2", 2.0), (C, "s3", 3.0)))
    out = build(tmp_path, policy,
                customer=[customer(A, "s1", updated=500, consent=500, registrationDate=500, birthDay="993-01-01"),
                          customer(B, "s2", updated=8000, consent=8000, registrationDate=2000),
                          customer(C, "s3", updated=4000, consent=4000, registrationDate=4000)],
                accelerometer=a["accelerometer"] + b["accelerometer"] + c["accelerometer"],
                step_trainer=a["step_trainer"] + b["step_trainer"] + c["step_trainer"])
    kept = {A: TICKS, B: TICKS if policy == "any-time" else (), C: TICKS if policy == "any-time" else (4000, 7000)}
    phone = sorted((user, t, sign * x) for user, x in ((A, 1.0), (B, 2.0), (C, 3.0)) for t in kept[user]
                   for sign in (1, -1))
    assert emails(out["customer_trusted"]) == [A, B, C]
    assert emails(out["customer_curated"]) == ([A, B, C] if policy == "any-time" else [A, C])
    assert sorted((r["user"], r["timestamp"], r["x"]) for r in out["accelerometer_trusted"]) == phone
    steps = sorted((serial, t) for user, serial in ((A, "s1"), (B, "s2"), (C, "s3")) for t in kept[user])
    assert sorted((r["serialnumber"], r["sensorreadingtime"]) for r in out["step_trainer_trusted"]) == steps
    # Each step-trainer reading with its customer's two phone readings of that millisecond.
    ml = sorted((t // 100, x) for _, t, x in phone)
    assert sorted((r["distancefromobject"], r["x"]) for r in out["machine_learning_curated"]) == ml


def test_a_three_digit_year_passes_through_unchanged(tmp_path: Path) -> None:
    delivery = write_delivery(tmp_path / "delivery", customer=[customer(A, "s1", consent=100, birthDay="993-01-01")],
                              accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run()
    for table in ("customer_landing", "customer_trusted", "customer_curated"):
        assert house.query(f"SELECT birthday FROM {table}").to_pylist() == [{"birthday": datetime.date(993, 1, 1)}]
    assert house.table("quarantine").to_arrow().num_rows == 0


@pytest.mark.parametrize("policy", ["strict", "any-time"])
def test_five_customers_in_one_millisecond(tmp_path: Path, policy: str) -> None:
    # At 5000 the phones of A (x 1.0, 1.5), B (2.0), C (3.0, 3.5, 3.6), D (9.0, no consent) and
    # E (5.0, consent at 6000) read, and so do their step trainers (distance 11, 22, 33, 44, 55).
    # E reads again at 8000 (x 8.0, distance 88). Every step-trainer reading pairs with its own
    # customer's phone readings only; D's never count, E's at 5000 only under any-time.
    phones = [(A, 1.0), (A, 1.5), (B, 2.0), (C, 3.0), (C, 3.5), (C, 3.6), (D, 9.0), (E, 5.0)]
    out = build(tmp_path, policy,
                customer=[customer(A, "s1", consent=100), customer(B, "s2", consent=100),
                          customer(C, "s3", consent=100), customer(D, "s4"), customer(E, "s5", consent=6000)],
                accelerometer=[reading(user, 5000, x=x) for user, x in phones] + [reading(E, 8000, x=8.0)],
                step_trainer=[step(f"s{i}", 5000, 11 * i) for i in range(1, 6)] + [step("s5", 8000, 88)])
    expected = [(11, 1.0), (11, 1.5), (22, 2.0), (33, 3.0), (33, 3.5), (33, 3.6), (88, 8.0)]
    if policy == "any-time":
        expected.append((55, 5.0))
    rows = out["machine_learning_curated"]
    assert sorted((r["distancefromobject"], r["x"]) for r in rows) == sorted(expected)
    keys = {r["distancefromobject"]: r["customer_key"] for r in rows}
    assert len(set(keys.values())) == 4 and keys[55 if policy == "any-time" else 88] == keys[88]
    assert all(keys[r["distancefromobject"]] == r["customer_key"] for r in rows)  # one key per customer
