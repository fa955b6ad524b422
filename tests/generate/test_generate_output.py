"""The generated files, read back line by line in plain Python: they obey the declared
sources, the declared rates and the report's counts."""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stedi.generate import MALFORMED_KINDS, GenerationReport, GeneratorRates, generate
from stedi.landing.sources import DATE_PATTERN, SOURCES, FieldType, Source

CUSTOMERS = 2000
DATE = re.compile(DATE_PATTERN)  # centuries-old years may have three digits: 993-01-01
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def classify(source: Source, line: str, has_newline: bool) -> tuple[str, dict[str, Any] | None]:
    """("valid", record) or (malformed kind, None), by the declaration in sources.py."""
    if not has_newline:
        return "truncated_at_end", None
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        # A cut line has lost its closing brace; the invalid variants keep theirs.
        return ("invalid_json" if line.endswith("}") else "truncated"), None
    assert isinstance(record, dict), line
    assert set(record) <= {f.key for f in source.fields}, line
    if any(record.get(f.key) is None for f in source.fields if f.required):
        return "missing_field", None
    for f in source.fields:
        value = record.get(f.key)
        if value is None:
            continue
        ok = {
            FieldType.STRING: isinstance(value, str),
            FieldType.INTEGER: isinstance(value, int) and not isinstance(value, bool),
            FieldType.NUMBER: isinstance(value, (int, float)) and not isinstance(value, bool),
            FieldType.DATE: isinstance(value, str) and DATE.fullmatch(value) is not None,
        }[f.type]
        if not ok:
            return "wrong_type", None
        if f.type is FieldType.DATE:
            datetime.date(*map(int, value.split("-")))  # a real calendar date
    return "valid", record


def read(root: Path, name: str) -> tuple[list[dict[str, Any]], Counter[str], list[Path]]:
    """Valid records (in file order), malformed lines by kind, and the part files."""
    source = SOURCES[name]
    records: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    files = sorted((root / name / "landing").glob("*.json"))
    for path in files:
        data = path.read_bytes()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]  # tail: b"" when the file ends in a newline
        for raw in complete:
            kind, record = classify(source, raw.decode("ascii"), has_newline=True)
            kinds[kind] += 1
            if record is not None:
                records.append(record)
        if tail:
            kinds[classify(source, tail.decode("ascii"), has_newline=False)[0]] += 1
    return records, kinds, files


Parsed = dict[str, tuple[list[dict[str, Any]], Counter[str], list[Path]]]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerationReport, Parsed]:
    """Default rates but smaller parts (so some end truncated), several chunks; read back once."""
    out = tmp_path_factory.mktemp("default")
    report = generate(out, CUSTOMERS, seed=7, rates=GeneratorRates(max_part_bytes=2_000_000), chunk_customers=700)
    return report, {name: read(out, name) for name in SOURCES}


CleanRun = tuple[Path, GenerationReport, dict[str, list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    """No malformed lines: every record is readable, so relations can be checked exactly."""
    out = tmp_path_factory.mktemp("clean")
    report = generate(out, CUSTOMERS, seed=11, rates=GeneratorRates(malformed=0.0, truncated_file_end=0.0))
    return out, report, {name: read(out, name)[0] for name in SOURCES}


def test_every_line_is_valid_or_a_counted_malformed_kind(default_run: tuple[GenerationReport, Parsed]) -> None:
    report, parsed = default_run
    for name, source_report in report.sources.items():
        _, kinds, files = parsed[name]
        assert tuple(files) == source_report.files
        assert sum(kinds.values()) == source_report.lines
        assert sum(p.stat().st_size for p in files) == source_report.bytes
        assert {k: kinds[k] for k in MALFORMED_KINDS} == source_report.malformed, name
        assert kinds["valid"] == source_report.valid_lines > 0


def test_malformed_share_matches_the_rate(default_run: tuple[GenerationReport, Parsed]) -> None:
    report, _ = default_run
    lines = sum(r.lines for r in report.sources.values())
    per_line = sum(r.malformed[k] for r in report.sources.values() for k in MALFORMED_KINDS if k != "truncated_at_end")
    assert per_line / lines == pytest.approx(0.001, abs=0.0003)
    kinds = Counter({k: sum(r.malformed[k] for r in report.sources.values()) for k in MALFORMED_KINDS})
    assert all(kinds[k] >= 20 for k in ("truncated", "invalid_json", "missing_field", "wrong_type")), kinds


def test_rates_are_as_declared(default_run: tuple[GenerationReport, Parsed]) -> None:
    report, parsed = default_run
    customers, accel, steps = (parsed[name][0] for name in ("customer", "accelerometer", "step_trainer"))
    first: dict[str, dict] = {}
    for c in customers:
        first.setdefault(c["email"], c)
    n = len(first)
    assert n >= CUSTOMERS - 5  # a few first records may be malformed
    consent = [c for c in first.values() if c.get("shareWithResearchAsOfDate") is not None]
    assert len(consent) / n == pytest.approx(0.5, abs=0.05)
    nulls = [c for c in first.values() if "shareWithResearchAsOfDate" in c and c["shareWithResearchAsOfDate"] is None]
    assert len(nulls) / (n - len(consent)) == pytest.approx(0.1, abs=0.04)
    assert (len(customers) - n) / n == pytest.approx(0.05, abs=0.02)  # re-sent records
    years = [int(c["birthDay"].split("-")[0]) for c in first.values()]
    assert sum(y < 1900 for y in years) / n == pytest.approx(0.948, abs=0.015)
    assert sum(y < 1000 for y in years) / n == pytest.approx(0.055, abs=0.015)

    assert len(accel) / CUSTOMERS == pytest.approx(85.0, abs=0.5)
    assert len(steps) / CUSTOMERS == pytest.approx(30.0, abs=0.1)
    moments = Counter((a["user"], a["timestamp"]) for a in accel)
    assert len(accel) / len(moments) == pytest.approx(2.83, abs=0.02)

    holders = defaultdict(set)
    for c in first.values():
        holders[c["serialNumber"]].add(c["email"])
    shared = [s for s, emails in holders.items() if len(emails) > 1]
    assert len(shared) / CUSTOMERS == pytest.approx(0.01, abs=0.006)
    assert report.shared_serial_numbers == pytest.approx(len(shared), abs=2)

    assert report.customers_with_consent / CUSTOMERS == pytest.approx(0.5, abs=0.05)
    assert report.step_trainer_cross_customer / report.step_trainer.lines == pytest.approx(0.106, abs=0.02)
    # Consent after every reading for 3.7% of customers, during them (after 23.5% of them on
    # average) for 75.5%, and during them after an update for 1.1%: about 22% of readings.
    assert report.accelerometer_before_consent / report.consenting_accelerometer == pytest.approx(0.22, abs=0.03)


def test_report_counts_equal_the_files(clean_run: CleanRun) -> None:
    _, report, rows = clean_run
    customers, accel, steps = rows["customer"], rows["accelerometer"], rows["step_trainer"]
    assert report.customer.lines == len(customers) and report.accelerometer.lines == len(accel)
    assert report.step_trainer.lines == len(steps)
    assert all(v == 0 for r in report.sources.values() for v in r.malformed.values())

    by_email: dict[str, list[dict]] = defaultdict(list)
    for c in customers:
        by_email[c["email"]].append(c)
    assert len(by_email) == report.customers == CUSTOMERS
    originals = [records[0] for records in by_email.values()]
    assert sum(c.get("shareWithResearchAsOfDate") is not None for c in originals) == report.customers_with_consent
    nulls = sum("shareWithResearchAsOfDate" in c and c["shareWithResearchAsOfDate"] is None for c in originals)
    assert nulls == report.consent_null
    resent = [records for records in by_email.values() if len(records) > 1]
    assert len(resent) == report.resent_records > 0
    assert all(len(r) == 2 and r[1]["lastUpdateDate"] > r[0]["lastUpdateDate"] for r in resent)
    withdrawn = [r for r in resent if r[0].get("shareWithResearchAsOfDate") and "shareWithResearchAsOfDate" not in r[1]]
    assert len(withdrawn) == report.consent_withdrawals > 0
    assert sum(r[0]["phone"] != r[1]["phone"] for r in resent) == report.phone_changes > 0
    assert report.consent_withdrawals + report.phone_changes == report.resent_records

    holders = Counter(c["serialNumber"] for c in originals)
    assert sum(k > 1 for k in holders.values()) == report.shared_serial_numbers > 0
    assert sum(k for k in holders.values() if k > 1) == report.customers_with_shared_serial

    moments = Counter((a["user"], a["timestamp"]) for a in accel)
    assert len(moments) == report.accelerometer_moments
    users_at = defaultdict(set)
    for user, ts in moments:
        users_at[ts].add(user)
    owner = {c["serialNumber"]: c["email"] for c in originals if holders[c["serialNumber"]] == 1}
    shared_serial_steps = [s for s in steps if s["serialNumber"] not in owner]
    cross = sum(len(users_at[s["sensorReadingTime"]]) > 1 for s in steps if s["serialNumber"] in owner)
    # Readings under a shared serial cannot be attributed; they bound the difference.
    assert cross <= report.step_trainer_cross_customer <= cross + len(shared_serial_steps)

    consent = {c["email"]: c["shareWithResearchAsOfDate"] for c in originals if c.get("shareWithResearchAsOfDate")}
    consenting = [a for a in accel if a["user"] in consent]
    assert len(consenting) == report.consenting_accelerometer
    assert sum(a["timestamp"] < consent[a["user"]] for a in consenting) == report.accelerometer_before_consent


def test_values_look_like_the_real_data(clean_run: CleanRun) -> None:
    _, _, rows = clean_run
    for c in rows["customer"]:
        assert UUID.fullmatch(c["serialNumber"]) and re.fullmatch(r"\d{10}", c["phone"])
        assert re.fullmatch(r"[A-Z][a-z]+\.[A-Z][a-z]+@test\.com", c["email"])
        assert c["email"] == c["customerName"].replace(" ", ".") + "@test.com"
        assert 1_600_000_000_000 < c["registrationDate"] <= c["lastUpdateDate"] < 1_800_000_000_000
        assert re.fullmatch(r"\d{3,4}-01-01", c["birthDay"]) and 967 <= int(c["birthDay"][:-6]) <= 1964
    originals = {c["email"]: c for c in reversed(rows["customer"])}  # first record per email
    assert len({c["customerName"] for c in originals.values()}) == len(originals)  # names are unique
    for c in originals.values():  # every consent given with the last update
        dates = {c.get(k) for k in ("shareWithResearchAsOfDate", "shareWithPublicAsOfDate",
                                    "shareWithFriendsAsOfDate")} - {None}
        assert dates <= {c["lastUpdateDate"]}
    for a in rows["accelerometer"][:5000]:
        assert {a["x"], a["y"]} <= {-1.0, 0.0, 1.0} and a["z"] in (-1.0, 0.0)
        assert all(isinstance(a[k], float) for k in "xyz")
    assert {s["distanceFromObject"] for s in rows["step_trainer"]} <= set(range(201, 301))


def test_readings_join_to_their_customer(clean_run: CleanRun) -> None:
    _, _, rows = clean_run
    customers, accel, steps = rows["customer"], rows["accelerometer"], rows["step_trainer"]
    emails = {c["email"] for c in customers}
    serial_holders: dict[str, set[str]] = defaultdict(set)
    for c in customers:
        serial_holders[c["serialNumber"]].add(c["email"])
    assert {a["user"] for a in accel} <= emails
    assert {s["serialNumber"] for s in steps} <= set(serial_holders)

    phone = Counter((a["user"], a["timestamp"]) for a in accel)
    assert len(steps) == len(phone)  # one step-trainer reading at each phone millisecond
    for s in steps:
        # The step trainer's millisecond has phone readings of (one of) its holder(s).
        assert max(phone[(email, s["sensorReadingTime"])] for email in serial_holders[s["serialNumber"]]) >= 1
    users_at = defaultdict(set)
    for user, ts in phone:
        users_at[ts].add(user)
    assert sum(len(u) > 1 for u in users_at.values()) > 100  # a timestamp-only join pairs strangers


def test_consent_falls_before_during_or_after_the_readings(clean_run: CleanRun) -> None:
    _, _, rows = clean_run
    times: dict[str, list[int]] = defaultdict(list)
    for a in rows["accelerometer"]:
        times[a["user"]].append(a["timestamp"])
    where: Counter[str] = Counter()
    originals = {c["email"]: c for c in reversed(rows["customer"])}
    for c in originals.values():
        date, first, last = c.get("shareWithResearchAsOfDate"), min(times[c["email"]]), max(times[c["email"]])
        moments = sorted(set(times[c["email"]]))
        assert len(set(np.diff(moments))) == 1 and moments[1] - first in range(2033, 4001)  # one fixed period
        if date:
            where["before" if date < first else "after" if date > last else "during"] += 1
            where["at registration"] += date == c["registrationDate"]
        where["registered after the first"] += c["registrationDate"] > first
    consenting = where["before"] + where["after"] + where["during"]
    assert where["before"] / consenting == pytest.approx(0.197, abs=0.03)
    assert where["after"] / consenting == pytest.approx(0.037, abs=0.015)
    assert where["at registration"] / consenting == pytest.approx(0.952, abs=0.015)
    assert where["registered after the first"] / len(originals) == pytest.approx(0.78, abs=0.03)


def test_files_and_order_are_as_delivered(clean_run: CleanRun) -> None:
    out, report, rows = clean_run
    for source in report.sources.values():
        assert all(re.fullmatch(rf"{source.source}-\d{{13}}\.json", p.name) for p in source.files)
        lines = [p.read_bytes().count(b"\n") for p in source.files]
        assert set(lines[:-1]) <= {10_000} and lines[-1] <= 10_000
    accel = rows["accelerometer"]
    blocks, ascending = [[accel[0]]], 0
    for previous, a in zip(accel, accel[1:]):
        if a["user"] == previous["user"]:
            ascending += a["timestamp"] > previous["timestamp"]
            blocks[-1].append(a)
        else:
            blocks.append([a])
    # Descending within a block, but where two blocks of one customer happen to meet (as in
    # the starter data: 5 of its 73,000 pairs).
    assert ascending / (len(accel) - len(blocks)) < 0.001
    assert len(accel) / len(blocks) == pytest.approx(10.6, abs=0.5)
    assert len(blocks) / CUSTOMERS == pytest.approx(8.0, abs=0.1)
    # Step-trainer lines in the order of the first phone reading of their millisecond.
    first_seen: dict[tuple[str, int], int] = {}
    for i, a in enumerate(accel):
        first_seen.setdefault((a["user"], a["timestamp"]), i)
    owner = {c["serialNumber"]: c["email"] for c in rows["customer"]}
    seen = [first_seen[(owner[s["serialNumber"]], s["sensorReadingTime"])] for s in rows["step_trainer"]
            if (owner[s["serialNumber"]], s["sensorReadingTime"]) in first_seen]
    assert np.mean(np.diff(seen) > 0) > 0.97  # (a shared serial number's readings blur a few)
