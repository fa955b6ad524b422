"""Hostile: the small defects of the command a user meets. A Ctrl-C that lands where Python cannot
raise it still stops the run; a full disk is one line naming the folder; a memory limit DuckDB
would misread is refused; `stedi --version` prints the version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stedi.cli.main import main
from stedi.lakehouse import Lakehouse
from tests.conftest import customer, reading, step, write_delivery

ROOT = Path(__file__).resolve().parents[2]


def stedi(fault: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """`stedi ARGV...` in a process of its own, with a fault injected (tests/hostile/faulty_cli.py)."""
    return subprocess.run([sys.executable, "-m", "tests.hostile.faulty_cli", fault, *argv], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=300)


def said(err: str) -> list[str]:
    """What a command said on stderr besides its progress lines ("… reading ...")."""
    return [line for line in err.splitlines() if not line.startswith("… ")]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """Ann consents at 1000 and has a phone and a step-trainer reading at 500 and at 2000: under
    `any-time` 2 rows of machine_learning_curated, under `strict` 1 (the one after consent)."""
    delivery = write_delivery(
        tmp_path / "delivery",
        customer=[customer("ann@x.org", "S1", consent=1000)],
        accelerometer=[reading("ann@x.org", 500), reading("ann@x.org", 2000)],
        step_trainer=[step("S1", 500), step("S1", 2000)],
    )
    assert main(["ingest", str(delivery), "--lake", str(tmp_path / "lake")]) == 0
    return tmp_path / "lake"


def training_rows(lake: Path) -> int:
    return Lakehouse(lake).table("machine_learning_curated").to_arrow().num_rows


def test_a_ctrl_c_raised_inside_a_finalizer_still_stops_the_run(lake: Path) -> None:
    assert main(["run", "--lake", str(lake), "--consent-policy", "any-time"]) == 0
    before = json.loads((lake / "state.json").read_text())["run_id"]
    done = stedi("ctrl-c-in-finalizer", "run", "--lake", str(lake), "--consent-policy", "strict")
    assert (done.returncode, said(done.stderr)) == (130, ["stedi: interrupted"]), done.stderr
    assert json.loads((lake / "state.json").read_text())["run_id"] == before
    assert training_rows(lake) == 2 and not (lake / "journal.json").exists()
    assert main(["run", "--lake", str(lake), "--consent-policy", "strict"]) == 0
    assert training_rows(lake) == 1
