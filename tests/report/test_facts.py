"""The report's facts on hand-written rows, each figure worked out by hand (strict policy).

Customers (latest records): a (serial S1, consent at 2000), b (S2, no consent), c and d (both
S3: a shared serial, consent at 1000), e (S5, consent at 9000: after every reading).
Phone readings: a at 1000 (before consent), 2000 and 3000; b, c, d, e, z (never registered) at
2000; plus two malformed lines. Step trainer: S1 at 1000, 2000, 3000; S2, S3, S5 at 2000.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import pytest

from stedi.lakehouse import Lakehouse
from stedi.report.collect import collect
from stedi.report.redact import MASK, redact
from stedi.report.render import facts_of, render
from tests.conftest import customer, reading, step, write_delivery

TRUNCATED = '{"user": "a@x.org", "timestamp": 4000, "x": 1'
MISTYPED = '{"user": "a@x.org", "timestamp": "soon", "x": 0, "y": 0, "z": 0}'


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    root = tmp_path_factory.mktemp("report-facts")
    write_delivery(
        root / "delivery",
        customer=[customer("a@x.org", "S1", consent=2000, phone="801-555-0101"), customer("b@x.org", "S2"),
                  customer("c@x.org", "S3", consent=1000), customer("d@x.org", "S3", consent=1000),
                  customer("e@x.org", "S5", consent=9000)],
        accelerometer=[reading("a@x.org", 1000), reading("a@x.org", 2000, 3.0, 4.0, 0.0),
                       reading("a@x.org", 3000, 0.0, 0.0, 2.0), reading("b@x.org", 2000), reading("c@x.org", 2000),
                       reading("d@x.org", 2000), reading("e@x.org", 2000), reading("z@x.org", 2000),
                       TRUNCATED, MISTYPED],
        step_trainer=[step("S1", 1000), step("S1", 2000, 10), step("S1", 3000, 30), step("S2", 2000),
                      step("S3", 2000), step("S5", 2000)],
    )
    house = Lakehouse(root / "lake", create=True)
    house.ingest(root / "delivery")
    house.run()
    return house


@pytest.fixture(scope="module")
def facts(lake: Lakehouse) -> dict:
    from stedi.report import latest_run

    return collect(lake.lake, lake.lake.run_record(latest_run(lake.lake)))


def test_consent_counts_customers_and_the_readings_consent_kept_out(facts: dict) -> None:
    assert facts["consent"] == {
        "policy": "strict",
        "customers": 5, "consenting": 4, "curated": 3,  # e has no reading at or after consent
        "phone_readings": 8, "phone_without_consent": 2, "phone_before_consent": 2,  # b, z; a@1000, e@2000
        "step_readings": 6, "step_without_consent": 1, "step_before_consent": 2,  # S2; S1@1000, S5@2000
        "shared_serial_numbers": 1, "shared_serial_readings": 1,  # S3
    }


def test_rows_and_conservation(facts: dict) -> None:
    assert facts["rows"]["machine_learning_curated"] == 2
    assert facts["rows"]["accelerometer_trusted"] == 4
    assert facts["rows"]["step_trainer_trusted"] == 2
    assert facts["rows"]["accelerometer_landing"] == 8 == facts["rows"]["accelerometer_accepted"]
    by_source = {c["source"]: c for c in facts["conservation"]}
    assert by_source["accelerometer"] | {} == {
        "source": "accelerometer", "table": "accelerometer_landing", "lines_read": 10, "accepted": 8,
        "quarantined": 2, "erased": 0, "holds": True}
    assert all(c["holds"] for c in facts["conservation"])


def test_quarantine_by_reason_and_file_with_the_first_lines(facts: dict) -> None:
    q = facts["quarantine"]
    assert (q["total"], q["reasons"], q["files"]) == (2, 2, 1)
    assert q["by_file"] == [{"file": "accelerometer/landing/accelerometer-1.json", "source": "accelerometer", "lines": 2}]
    samples = {s["raw"]: (s["line"], r["reason"]) for r in q["by_reason"] for s in r["samples"]}
    assert samples[TRUNCATED][0] == 9 and samples[MISTYPED][0] == 10
    assert "timestamp" in samples[MISTYPED][1]


def test_readings_per_day_and_distributions(facts: dict) -> None:
    assert facts["daily"] == {"days": ["1970-01-01"], "series": {
        "phone · landing": [8], "phone · trusted": [4], "step trainer · landing": [6],
        "step trainer · trusted": [2], "machine_learning_curated": [2]}}
    distance, magnitude = facts["distributions"]["distance"], facts["distributions"]["magnitude"]
    assert (distance["n"], distance["min"], distance["max"], distance["median"]) == (2, 10, 30, 20)
    assert (magnitude["min"], magnitude["max"], magnitude["median"]) == (2, 5, 3.5)  # |(0,0,2)|, |(3,4,0)|
    assert sum(distance["counts"]) == 2 and distance["counts"][0] == 1 and distance["counts"][-1] == 1


def test_audits_phases_and_settings(facts: dict) -> None:
    assert [(a["name"], a["offending"]) for a in facts["audits"]] == [
        ("readings_without_consent", 0), ("machine_learning_crossed_customers", 0),
        ("machine_learning_personal_data", 0)]
    assert {"read landing", "build tables", "audit", "commit"} <= set(facts["run"]["phases"])
    assert "pseudonym_key" not in facts["environment"]["settings"]
    assert facts["environment"]["versions"]["duckdb"]


def test_the_page_shows_the_counts_and_keeps_its_facts(facts: dict, lake: Lakehouse) -> None:
    html = render(facts)
    shown = dict(re.findall(r'data-rows-of="([a-z_]+)">([\d,—]+)<', html))
    for table in lake.tables():
        assert shown[table.name] == f"{table.rows:,}", table.name
    assert facts_of(html, "page") == facts
    assert lake.lake.pseudonym_key not in html


def test_redact_masks_emails_and_phones_in_quarantined_lines(facts: dict) -> None:
    masked = redact(facts)
    raws = [s["raw"] for r in masked["quarantine"]["by_reason"] for s in r["samples"]]
    assert raws and all("a@x.org" not in raw for raw in raws)
    assert any(f'"user": "{MASK}"' in raw for raw in raws)
    assert "a@x.org" in str(facts["quarantine"])  # the facts themselves are untouched
    html = render(masked)
    assert "a@x.org" not in html


def test_each_run_writes_its_report_into_the_lake(lake: Lakehouse) -> None:
    from stedi.report import latest_run, report_file

    run_id = latest_run(lake.lake)
    kept = Path(lake.lake.storage.path(report_file(run_id)))
    assert kept.is_file()
    assert lake.lake.run_record(run_id)["report"] == str(kept)
    assert facts_of(kept.read_text(), str(kept))["run"]["run_id"] == run_id


def test_a_report_shows_previous_runs(lake: Lakehouse, tmp_path: Path) -> None:
    from stedi.report import latest_run

    summary = lake.run()  # nothing new: still a report, listing both runs
    facts = facts_of(Path(summary.report).read_text(), summary.report)
    assert [h["kind"] for h in facts["history"]][-2:] == ["full rebuild", "nothing new"]
    assert latest_run(lake.lake) == summary.run_id
    assert asdict(summary)["report"] == summary.report


def test_what_a_full_run_read_while_committing_equals_its_committed_tables(lake: Lakehouse, facts: dict) -> None:
    from stedi.report import report_file

    first = facts["run"]["run_id"]  # a full run: its report read the tables while it committed
    kept = facts_of(Path(lake.lake.storage.path(report_file(first))).read_text(), "kept")
    for part in ("rows", "quarantine", "consent", "daily", "distributions"):
        assert kept[part] == facts[part], part


def test_a_worker_that_fails_leaves_the_drawing_to_the_run(facts: dict) -> None:
    import subprocess
    import sys

    from stedi.report.worker import ReportWorker

    broken = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit('no matplotlib here')"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    said: list[str] = []
    html = ReportWorker(broken).render(facts, said.append)
    assert facts_of(html, "page") == facts
    assert said == ["the report's worker failed (no matplotlib here): drawing the report here"]
