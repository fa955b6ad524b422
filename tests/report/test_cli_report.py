"""`stedi report` as a user calls it, and a forget reaching the reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from stedi.cli.main import main
from stedi.lakehouse import Lakehouse
from stedi.report import report_file
from stedi.report.render import facts_of
from stedi.report.scrub import ERASED_LINE
from tests.conftest import customer, reading, step, write_delivery

HERS = '{"user": "ann@x.org", "timestamp": 5000, "x": '  # truncated: quarantined, shown in the report


@pytest.fixture
def lake(tmp_path: Path) -> Lakehouse:
    write_delivery(
        tmp_path / "delivery",
        customer=[customer("ann@x.org", "S1", consent=1000, phone="555-123-4567"), customer("bo@x.org", "S2", consent=1000)],
        accelerometer=[reading("ann@x.org", 2000), reading("bo@x.org", 2000), HERS, '{"user": "bo@x.org", "tim'],
        step_trainer=[step("S1", 2000), step("S2", 2000)],
    )
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(tmp_path / "delivery")
    return house


def test_run_prints_where_its_report_is(lake: Lakehouse, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--lake", lake.path]) == 0
    out = capsys.readouterr().out
    path = out.split("report: ", 1)[1].splitlines()[0]
    assert Path(path).is_file() and Path(path).parent == Path(lake.path) / "reports"
    # Each audit says how it passed: on the rows, or proved from the model's SQL.
    html = Path(path).read_text()
    assert html.count("passed · 0 rows") == 2
    assert "passed · proved from the model's SQL" in html

    assert main(["report", "--lake", lake.path]) == 0  # the last run's: the one the lake keeps
    assert capsys.readouterr().out.strip() == path


def test_out_redact_and_a_past_run(lake: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = lake.run().run_id
    lake.run()
    out = tmp_path / "mine.html"
    assert main(["report", first, "--lake", lake.path, "--out", str(out), "--redact"]) == 0
    assert capsys.readouterr().out.strip() == str(out.resolve())
    html = out.read_text()
    assert "ann@x.org" not in html and "bo@x.org" not in html
    assert facts_of(html, str(out))["run"]["run_id"] == first

    # A run whose report is gone is read as it left the lake (time travel), and kept again.
    kept = Path(lake.lake.storage.path(report_file(first)))
    before = facts_of(kept.read_text(), "kept")
    kept.unlink()
    assert main(["report", first, "--lake", lake.path]) == 0
    again = facts_of(kept.read_text(), "kept")
    assert again["rows"] == before["rows"] and again["quarantine"] == before["quarantine"]


def test_wrong_arguments_fail_in_one_line(lake: Lakehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--lake", lake.path]) == 1
    assert "no run has completed yet" in capsys.readouterr().err
    lake.run()
    assert main(["report", "20990101T000000-deadbeef", "--lake", lake.path]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stedi: error: no run 20990101T000000-deadbeef") and err.count("\n") == 1
    assert main(["report", "--lake", lake.path, "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_forget_erases_her_lines_from_every_report(lake: Lakehouse) -> None:
    lake.run()
    lake.run()  # two reports, each showing her quarantined line
    reports = sorted((Path(lake.path) / "reports").glob("*.html"))
    assert len(reports) == 2 and all("ann@x.org" in r.read_text() for r in reports)
    done = lake.forget(["ann@x.org"])
    assert done.reports_rewritten == 2
    for kept in reports:
        text = kept.read_text()
        assert "ann@x.org" not in text and "555-123-4567" not in text
        samples = [s["raw"] for r in facts_of(text, str(kept))["quarantine"]["by_reason"] for s in r["samples"]]
        assert ERASED_LINE in samples and '{"user": "bo@x.org", "tim' in samples  # his stays


def test_a_report_that_fails_leaves_the_run_committed(lake: Lakehouse, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import stedi.report.facts as facts

    def broken(*args: object) -> dict:
        raise ValueError("no ink")

    monkeypatch.setattr(facts, "gather", broken)
    assert main(["run", "--lake", lake.path]) == 0
    captured = capsys.readouterr()
    assert "could not write the run's report (ValueError: no ink)" in captured.err
    run_id = captured.out.split("run ", 1)[1].split(",", 1)[0]
    assert f"report: not written; `stedi report {run_id}` writes it" in captured.out
    assert lake.table("machine_learning_curated").to_arrow().num_rows == 2  # committed all the same
    monkeypatch.undo()
    assert main(["report", run_id, "--lake", lake.path]) == 0  # written now, read by time travel
    assert Path(capsys.readouterr().out.strip()).is_file()


def test_open_hands_the_report_to_the_browser(lake: Lakehouse, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda uri: opened.append(uri) or True)
    lake.run()
    assert main(["report", "--lake", lake.path, "--open"]) == 0
    shown = capsys.readouterr()
    assert opened == [Path(shown.out.strip()).as_uri()] and "opened" in shown.err
    monkeypatch.setattr(webbrowser, "open", lambda uri: False)  # a machine with no browser
    assert main(["report", "--lake", lake.path, "--open"]) == 0
    assert "no web browser found here: open" in capsys.readouterr().err
