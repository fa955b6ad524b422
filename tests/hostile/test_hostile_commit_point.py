"""Hostile: what happens after a run's commit point (state.json written) never turns the committed
run into a failure. A record, report or retention that cannot be written is one warning line
with exit 0; a Ctrl-C then says the run is committed; the next writer writes the record that is
missing; `stedi report` finds a run without a record.

The tests run as root, which a folder's mode does not stop: the faults are injected at the
storage layer, in a real `stedi` process (tests/hostile/faulty_cli.py)."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stedi.cli.main import main
from stedi.lakehouse import Lakehouse
from tests.conftest import customer, reading, step, write_delivery

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """Two consenting customers, each with a phone reading and a step-trainer reading in the same
    millisecond after consent: 2 rows of machine_learning_curated, 2 accepted lines of each source."""
    delivery = write_delivery(
        tmp_path / "delivery",
        customer=[customer("ann@x.org", "S1", consent=1000), customer("bo@x.org", "S2", consent=1000)],
        accelerometer=[reading("ann@x.org", 2000), reading("bo@x.org", 3000)],
        step_trainer=[step("S1", 2000), step("S2", 3000)],
    )
    assert main(["ingest", str(delivery), "--lake", str(tmp_path / "lake")]) == 0
    return tmp_path / "lake"


def stedi(fault: str, *argv: str, report: str = "off") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEDI_REPORT": report}
    return subprocess.run([sys.executable, "-m", "tests.hostile.faulty_cli", fault, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def said(err: str) -> list[str]:
    """What the command said on stderr besides its progress lines ("… reading ...")."""
    return [line for line in err.splitlines() if not line.startswith("… ")]


def run_id_in(out: str) -> str:
    found = re.search(r"^run (\S+), consent policy", out, re.M)
    assert found, out
    return found.group(1)


def visible_run(lake: Path) -> str:
    return json.loads((lake / "state.json").read_text())["run_id"]


def training_rows(lake: Path) -> int:
    return Lakehouse(lake).table("machine_learning_curated").to_arrow().num_rows


def report_of(run_id: str | None, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`stedi report [RUN_ID] --out FILE`: the page, which names its run."""
    out = tmp_path / "report.html"
    capsys.readouterr()
    assert main(["report", *([run_id] if run_id else []), "--lake", str(lake), "--out", str(out)]) == 0, \
        capsys.readouterr().err
    assert capsys.readouterr().out.strip() == str(out)
    return out.read_text()


@pytest.mark.parametrize("fault, report, warning", [
    ("runs-unwritable", "off", "could not write the run's record into {lake}/runs (Permission denied); run {run} is "
                               "committed, and the next run writes its record"),
    ("reports-unwritable", "on", "could not write the run's report (PermissionError: {lake}/reports/{run}.html: "
                                 "Permission denied); `stedi report {run}` tries again"),
    ("retention-fails", "off", "retention after the run failed (No space left on device); the run is committed"),
    ("unlock-fails", "off", "run {run} is committed; what followed failed (Input/output error)"),
], ids=["runs-unwritable", "reports-unwritable", "retention-fails", "unlock-fails"])
def test_a_failure_after_the_commit_point_is_one_warning_and_exit_0(
        fault: str, report: str, warning: str, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = stedi(fault, "run", "--lake", str(lake), report=report)
    assert done.returncode == 0, done.stderr
    run_id = run_id_in(done.stdout)
    lines = said(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("stedi: warning: " + warning.format(lake=lake, run=run_id)), lines
    assert visible_run(lake) == run_id and training_rows(lake) == 2
    assert not (lake / "journal.json").exists()
    assert run_id in report_of(run_id, lake, tmp_path, capsys)

    assert main(["run", "--lake", str(lake)]) == 0  # the next writer: nothing new, and the record is there
    record = json.loads((lake / "runs" / f"{run_id}.json").read_text())
    assert (record["run_id"], record["consent_policy"]) == (run_id, "strict")
    assert record.get("reconstructed", False) is (fault == "runs-unwritable")


def test_a_run_without_a_record_is_found_by_report_and_recorded_by_the_next_run(
        lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = stedi("runs-unwritable", "run", "--lake", str(lake))
    assert done.returncode == 0, done.stderr
    run_id = run_id_in(done.stdout)
    assert not (lake / "runs" / f"{run_id}.json").exists() and visible_run(lake) == run_id
    assert run_id in report_of(None, lake, tmp_path, capsys)  # the latest run is the one state.json names
    assert main(["tables", "--lake", str(lake), "--format", "csv"]) == 0  # landing rows: from its snapshots
    assert "customer_landing,landing,2," in capsys.readouterr().out

    capsys.readouterr()
    assert main(["run", "--lake", str(lake)]) == 0
    assert f"wrote the missing record of run {run_id}" in capsys.readouterr().err
    record = json.loads((lake / "runs" / f"{run_id}.json").read_text())
    assert record["reconstructed"] is True and record["command"] == "run" and record["consent_policy"] == "strict"
    totals = {t["name"]: t["total"] for t in record["tables"]}
    assert totals == {"customer_landing": 2, "accelerometer_landing": 2, "step_trainer_landing": 2,
                      "customer_trusted": 2, "accelerometer_trusted": 2, "customer_curated": 2,
                      "step_trainer_trusted": 2, "machine_learning_curated": 2}
    assert main(["tables", "--lake", str(lake), "--format", "csv"]) == 0
    assert "customer_landing,landing,2," in capsys.readouterr().out
    assert main(["query", "--as-of", run_id, "SELECT count(*) AS n FROM machine_learning_curated",
                 "--lake", str(lake), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "2"]


def test_a_run_killed_as_it_writes_its_record_is_committed_and_recorded_by_the_next_writer(
        lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = stedi("killed-at-record", "run", "--lake", str(lake))
    assert done.returncode == 137
    run_id = visible_run(lake)
    assert (lake / "journal.json").exists() and not (lake / "runs" / f"{run_id}.json").exists()
    assert run_id in report_of(run_id, lake, tmp_path, capsys)
    assert main(["run", "--lake", str(lake)]) == 0
    assert json.loads((lake / "runs" / f"{run_id}.json").read_text())["reconstructed"] is True
    assert visible_run(lake) == run_id and training_rows(lake) == 2 and not (lake / "journal.json").exists()


@pytest.mark.parametrize("fault", ["ctrl-c-at-record", "ctrl-c-in-retention", "ctrl-c-at-unlock", "ctrl-c-in-summary",
                                   "ctrl-c-in-exec"])
def test_ctrl_c_after_the_commit_point_says_the_run_is_committed(fault: str, lake: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    done = stedi(fault, "run", "--lake", str(lake))
    run_id = visible_run(lake)
    assert (done.returncode, said(done.stderr)) == (0, [
        f"stedi: interrupted after the commit point: run {run_id} is committed and its tables are visible (the "
        f"next run finishes its tidy-up; `stedi report {run_id}` writes its report)"])
    assert training_rows(lake) == 2 and not (lake / "journal.json").exists()
    assert run_id in report_of(run_id, lake, tmp_path, capsys)


def test_the_python_api_returns_the_committed_run_with_its_warning(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.storage.local import LocalStorage

    write = LocalStorage.write_atomic

    def write_atomic(self: LocalStorage, relative: str, text: str, private: bool = False) -> None:
        if relative.startswith("runs/"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), self.path(relative))
        write(self, relative, text, private)

    monkeypatch.setattr(LocalStorage, "write_atomic", write_atomic)
    progress: list[str] = []
    summary = Lakehouse(lake).run(progress=progress.append)
    assert visible_run(lake) == summary.run_id and training_rows(lake) == 2
    assert summary.warnings == [f"could not write the run's record into {lake}/runs (Permission denied); run "
                                f"{summary.run_id} is committed, and the next run writes its record"]
    assert [m for m in progress if m.startswith("warning: ")] == ["warning: " + summary.warnings[0]]
