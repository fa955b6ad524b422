"""Hostile: the small defects of the command a user meets. A Ctrl-C that lands where Python cannot
raise it still stops the run; a full disk is one line naming the folder; a memory limit DuckDB
would misread is refused; `stedi --version` prints the version."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

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


# -- a full disk: one line naming the folder, for a run and for a forget -----------------------

FULL = re.compile(r"stedi: error: (?P<folder>/\S+): No space left on device; free some space there and run the "
                  r"command again")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of 8 MB of its own (a tmpfs: the tests run as root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the injected faults below stand in")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Take every byte left on the disk; the file that holds them (delete it to free them)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC
    return filler


def full_disk_line(err: str, inside: Path) -> str:
    """The one line a full disk is told in; the folder it names (on the full disk)."""
    lines = said(err)
    assert len(lines) == 1, err
    found = FULL.fullmatch(lines[0])
    assert found, lines[0]
    folder = Path(found["folder"])
    assert folder.is_dir() and folder.is_relative_to(inside), folder
    return found["folder"]


def test_a_run_on_a_full_disk_is_one_line_naming_the_folder(small_disk: Path, lake: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(lake.parent / "delivery"), "--lake", str(small_disk / "lake")]) == 0
    filler = fill(small_disk)
    capsys.readouterr()
    assert main(["run", "--lake", str(small_disk / "lake")]) == 1
    full_disk_line(capsys.readouterr().err, small_disk / "lake")
    filler.unlink()
    assert main(["run", "--lake", str(small_disk / "lake")]) == 0  # rolled back whole: it runs again
    assert training_rows(small_disk / "lake") == 1


def test_a_forget_on_a_full_disk_is_one_line_naming_the_folder(small_disk: Path, lake: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(lake.parent / "delivery"), "--lake", str(small_disk / "lake")]) == 0
    assert main(["run", "--lake", str(small_disk / "lake")]) == 0
    filler = fill(small_disk)
    capsys.readouterr()
    assert main(["forget", "ann@x.org", "--lake", str(small_disk / "lake")]) == 1
    full_disk_line(capsys.readouterr().err, small_disk / "lake")
    assert training_rows(small_disk / "lake") == 1  # readers still read the lake as it was
    filler.unlink()
    assert main(["forget", "ann@x.org", "--lake", str(small_disk / "lake")]) == 0
    assert training_rows(small_disk / "lake") == 0


@pytest.mark.parametrize("fault", ["disk-full-in-build", "disk-full-in-commit"])
def test_a_full_disk_reported_by_duckdb_or_pyarrow_is_one_line_naming_the_folder(fault: str, lake: Path) -> None:
    done = stedi(fault, "run", "--lake", str(lake))
    assert done.returncode == 1
    folder = full_disk_line(done.stderr, lake)
    if fault == "disk-full-in-build":  # DuckDB names the file it wrote: its folder, as far as it is left
        assert folder.startswith(f"{lake}/customer/accepted/data"), folder
    else:  # no file named: the lake the command writes
        assert folder == str(lake)
    assert not (lake / "state.json").exists() and not (lake / "journal.json").exists()


# -- the memory limit: only sizes DuckDB reads as they are meant ------------------------------

@pytest.mark.parametrize("value, message", [
    ("-5GB", "memory_limit '-5GB' is not a size (no negative one is); give a size such as '3GB', or -1 for "
             "DuckDB's own default (80% of the machine's memory)"),
    ("0", "memory_limit '0' is zero: DuckDB could hold nothing in memory; give a size such as '3GB'"),
    ("0GB", "memory_limit '0GB' is zero: DuckDB could hold nothing in memory; give a size such as '3GB'"),
    ("1KB", "memory_limit '1KB' is too small for DuckDB to hold even ten rows; give a size such as '3GB'"),
])  # ("abc", "5 PB": refused already, as not a size DuckDB understands: tests/test_config.py)
def test_a_memory_limit_duckdb_would_misread_is_refused_naming_the_variable(
        value: str, message: str, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_MEMORY_LIMIT", value)
    capsys.readouterr()
    assert main(["run", "--lake", str(lake)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"stedi: error: STEDI_MEMORY_LIMIT: {message}") and err.count("\n") == 1, err
    assert not (lake / "state.json").exists()


# -- the version ------------------------------------------------------------------------------

def test_version_prints_the_packages_version() -> None:
    from importlib import metadata

    done = subprocess.run([sys.executable, "-m", "stedi", "--version"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"stedi {metadata.version('stedi')}\n", "")
