"""Promise: `stedi report --redact` masks everything personal (issue Trust, 8).

A delivery built to leak: emails, names and phone numbers as JSON integers, with separators and
country codes, under keys the tables do not know, in keys, in JSON escapes, in malformed,
truncated, HTML and very long lines, cut by the report's 300 characters, in the landing files'
names (one of which a later run quotes as the reason it rebuilt every table), and a name and
phone of a valid customer record in a line that is not JSON. No email, name or phone of it may
appear in the redacted page in any form: plain, HTML-, URL- or JSON-escaped, case-folded,
its digits separated otherwise, in the charts or in the facts the page keeps. The redacted page
still says why and where lines were quarantined; the unredacted one still shows them all.
"""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from pathlib import Path

import pytest

from stedi.cli.main import main
from stedi.lakehouse import Lakehouse
from stedi.report import build_report, report_file
from stedi.report.render import facts_of
from tests.conftest import REPORTS, customer, reading, step

pytestmark = REPORTS

VALID = customer("quincy.valid@okmail.org", "S1", consent=1000, customerName="Quincy Validperson",
                 phone="801-555-0142")
CUSTOMER_LINES = [
    json.dumps(VALID),
    # The phone as a JSON integer: the reason quotes it ("got integer 8015556789").
    json.dumps({**customer("ann.leak@victim.org", "S2"), "phone": 8015556789}),
    # No email (rejected), names and phones under keys the tables do not know.
    json.dumps({"name": "Annabel Leakworth", "tel": "+44 20 7946 0958", "contact": {"n": "Rosalind Hiddenfield",
                "p": "(385) 555-0199"}, "serialNumber": "S3", "registrationDate": 500, "lastUpdateDate": 1000}),
    # A key that is an email, given twice: the reason quotes the key.
    '{"bea.key@victim.org": 1, "bea.key@victim.org": 2, "email": "bea.key@victim.org", "serialNumber": "S4"}',
    # Upper case, a plus tag, a country code, cut short.
    '{"customerName": "ANNABEL LEAKWORTH", "email": "ANN.LEAK+TAG@VICTIM.ORG", "phone": "+1 801 555 6789", "serialN',
    # A valid customer's name, phone and email in a line that is not JSON at all.
    "Quincy Validperson, 801.555.0142, quincy.valid@okmail.org",
]
READING_LINES = [
    json.dumps(reading("quincy.valid@okmail.org", 1655564444051)),
    r'{"user": "ann.leak\u0040victim.org", "timestamp": 1655564444052, "x": 1, "y": 2, "z": "ann.leak\/victim.org"}',
    '<script>alert("ann.leak@victim.org")</script><img src=x onerror="alert(\'Annabel Leakworth\')">',
    # Very long: the report cuts it at 300 characters, in the middle of the email.
    '{"user": "' + "x" * 281 + 'ann.leak@victim.org", "timestamp": 1655564444053, "x": ' + "1" * 5000 + "}",
    # A phone as the value of a timestamp field (a reading of 1970: no device wrote it), and as a reading.
    '{"user": "quincy.valid@okmail.org", "timestamp": 3855550199, "x": "7", "y": 801555.6789, "z": 0}',
    "{user: Annabel Leakworth, timestamp: 1655564444054, x: 0}",
]
STEP_LINES = [
    json.dumps(step("S1", 1655564444051)),
    '{"sensorReadingTime": 1655564444055, "serialNumber": "801-555-6789", "distanceFromObject": "Rosalind"}',
    '{"sensorReadingTime": 1655564444056, "serialNumber": "S1", "distanceFromObject": 801.5556789}',
]
FILES = {  # file names that leak too
    "customer": "ann.leak+vip@victim.org.json",
    "accelerometer": "8015556789.json",
    "step_trainer": "Rosalind Hiddenfield.json",
}
WORDS = ["ann.leak", "bea.key", "quincy.valid", "okmail", "victim.org", "annabel", "leakworth", "rosalind",
         "hiddenfield", "quincy", "validperson"]
PHONES = ["8015556789", "442079460958", "3855550199", "8015550142"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lakehouse:
    root = tmp_path_factory.mktemp("hostile-redact")
    for source, lines in (("customer", CUSTOMER_LINES), ("accelerometer", READING_LINES), ("step_trainer", STEP_LINES)):
        folder = root / "delivery" / source / "landing"
        folder.mkdir(parents=True)
        (folder / FILES[source]).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    house = Lakehouse(root / "lake", create=True)
    house.ingest(root / "delivery")
    house.run()
    # The file delivered again, longer: the next run rebuilds every table and says which file changed.
    again = Path(house.path) / "customer" / "landing" / FILES["customer"]
    again.write_text(again.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert FILES["customer"] in house.run().full_reason
    return house


def views(page: str) -> list[str]:
    """The page in every form a value could hide in, case-folded."""
    found = [page, html.unescape(page), html.unescape(html.unescape(page)), urllib.parse.unquote_plus(page)]
    found.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page).replace("\\/", "/"))
    found.append(json.dumps(facts_of(page, "page"), ensure_ascii=False))
    found += [base64.b64decode(svg).decode() for svg in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)]
    return [view.casefold() for view in found]


def digits(view: str) -> str:
    """A view with the separators between digits taken out: 801-555-6789 reads 8015556789."""
    return re.sub(r"(?<=\d)[\s().,+/\-\u00a0\u2009]{1,4}(?=\d)", "", view)


def leaks(page: str) -> list[str]:
    found = []
    for view in views(page):
        found += [word for word in WORDS if word in view]
        found += [phone for phone in PHONES if phone in digits(view)]
    return sorted(set(found))


def test_the_redacted_page_holds_nothing_personal(lake: Lakehouse, tmp_path: Path) -> None:
    _, plain, kept = build_report(lake)
    assert kept  # the page the run wrote shows all it was given: the test sees every leak there is
    assert leaks(plain) == sorted(WORDS + PHONES)
    assert "got integer 8015556789" in plain and html.escape(FILES["customer"], quote=True) in plain

    out = tmp_path / "page.html"
    assert main(["report", "--lake", lake.path, "--redact", "--out", str(out)]) == 0
    assert leaks(out.read_text(encoding="utf-8")) == []
    _, page, kept = build_report(lake, redact=True)
    assert not kept and leaks(page) == []


def test_a_past_run_without_its_report_is_redacted_too(lake: Lakehouse) -> None:
    first = lake.lake.run_record(sorted(p.stem for p in (Path(lake.path) / "runs").glob("*.json"))[0])
    kept = Path(lake.lake.storage.path(report_file(first["run_id"])))
    kept.unlink()  # read by time travel, then masked
    _, page, _ = build_report(lake, first["run_id"], redact=True)
    assert leaks(page) == []


def test_the_redacted_page_still_says_why_and_where(lake: Lakehouse) -> None:
    _, plain, _ = build_report(lake)
    _, page, _ = build_report(lake, redact=True)
    shown, facts = facts_of(page, "redacted"), facts_of(plain, "plain")
    assert shown["redacted"] is True
    for part in ("rows", "conservation", "consent", "lineage", "audits", "daily", "distributions"):
        assert shown[part] == facts[part], part
    quarantine = lake.query("SELECT source, line FROM quarantine").to_pylist()
    assert shown["quarantine"]["total"] == len(quarantine) == 12
    reasons = " | ".join(r["reason"] for r in shown["quarantine"]["by_reason"])
    for kind in ("field 'phone' must be a string, got integer", "missing required field 'email'",
                 "is given twice", "truncated JSON", "malformed JSON", "field 'x' must be a number, got string",
                 "field 'distanceFromObject' must be a number, got string",
                 "field 'distanceFromObject' must be a whole number"):
        assert kind in reasons, kind
    assert sum(r["lines"] for r in shown["quarantine"]["by_reason"]) == 12
    # Every line number, each under its file's folder; the structure of the lines stays readable.
    lines = sorted((s["file"].split("/")[0], s["line"]) for r in shown["quarantine"]["by_reason"] for s in r["samples"])
    assert lines == sorted((q["source"], q["line"]) for q in quarantine)
    raws = [s["raw"] for r in shown["quarantine"]["by_reason"] for s in r["samples"]]
    assert '{"user": "•••", "timestamp": 1655564444052, "x": 1, "y": 2, "z": "•••"}' in raws
    assert any('"phone": •••' in raw and '"lastUpdateDate": 1000' in raw for raw in raws)
    assert "every table rebuilt: customer/landing/•••" in page and "changed since it was read" in page
    by_file = {f["file"] for f in shown["quarantine"]["by_file"]}
    assert len(by_file) == 3 and all(f.endswith(".json") and "•••" in f for f in by_file)
    assert all(s in page for s in ('data-conservation="customer"', "data-quarantined=\"5\"", "step_trainer_trusted"))


@pytest.mark.parametrize("name, shown", [
    ("accelerometer/landing/accelerometer-1691348231445.json", "accelerometer/landing/accelerometer-1691348231445.json"),
    ("customer/landing/customer-1.json", "customer/landing/customer-1.json"),
    ("customer/landing/customer-8015556789.json", "customer/landing/•••#1.json"),  # a phone, not a time
    ("customer/landing/customer-2348031234567.json", "customer/landing/•••#1.json"),  # 13 digits, +234
    ("customer/landing/2022/customer-1.json", "customer/landing/•••#1.json"),
    ("step_trainer/landing/Ann.json", "step_trainer/landing/•••#1.json"),
])
def test_a_file_name_is_kept_only_where_it_names_no_one(name: str, shown: str) -> None:
    from stedi.report.redact import redact_file

    assert redact_file(name, 1) == shown


def test_the_customers_of_the_lake_are_masked_wherever_they_show(lake: Lakehouse) -> None:
    """The second net: a reason worded some day to quote a value without quotes still shows no
    customer's name, email or phone."""
    from stedi.report.collect import customer_identifiers
    from stedi.report.redact import redact

    _, plain, _ = build_report(lake)
    facts = facts_of(plain, "plain")
    facts["quarantine"]["by_reason"][0]["reason"] = "a line of Quincy VALIDPERSON (quincy.valid at okmail) 801 555 0142"
    masked = redact(facts, customer_identifiers(lake.lake))
    assert masked["quarantine"]["by_reason"][0]["reason"] == "a line of ••• ••• (•••.••• at •••) ••• ••• •••"
