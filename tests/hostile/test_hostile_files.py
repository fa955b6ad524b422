"""Files that hold personal data are private, and nothing the user asks for overwrites the lake.

A local lake is its owner's alone, as a database's data folder is: every file 600 and every
folder 700 whatever the umask (022, 000), written by stedi, DuckDB, pyiceberg, SQLite or Spark,
through the library and through the command; a lake made with looser modes is made private by
the next writer. An output the user names (`report --out`, `generate OUT`, `demo --lake`) never
lands on, or deletes, a lake's files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from tests.conftest import customer, reading, step, write_delivery

REPO = Path(__file__).resolve().parents[2]
ANN, BO = "ann@x.org", "bo@x.org"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def loose(root: Path) -> list[str]:
    """Every path under `root` (itself included) that is not a 600 file or a 700 folder."""
    found = []
    for folder, folders, files in os.walk(root):
        for path in [Path(folder)] + [Path(folder) / name for name in files + folders]:
            try:
                st = path.lstat()
            except FileNotFoundError:  # gone while we looked (a writer tidying up)
                continue
            kind, want = ("folder", 0o700) if path.is_dir() and not path.is_symlink() else ("file", 0o600)
            if path.is_symlink() or st.st_mode & 0o777 != want:
                found.append(f"{path.relative_to(root)} ({kind} {oct(st.st_mode & 0o777)})")
    return sorted(set(found))


def delivery(root: Path) -> Path:
    return write_delivery(
        root, customer=[customer(ANN, "S1", consent=100), customer(BO, "S2", consent=100)],
        accelerometer=[reading(ANN, 500, 1.5), reading(BO, 500, 2.5), '{"user": "ann@x.org", "ti'],
        step_trainer=[step("S1", 500, 7), step("S2", 500, 8)])


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- 5. modes -------------------------------------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_a_whole_cycle_leaves_every_path_private(tmp_path: Path, mask: int, reports_on: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    during: list[str] = []  # what was loose while a writer was at work (spill, staging, journal)

    def watch(message: str) -> None:
        during.extend(f"{p} while {message!r}" for p in loose(lake))

    with umask(mask):
        house = Lakehouse(lake, create=True)
        house.ingest(delivery(tmp_path / "d"), progress=watch)
        house.run(progress=watch)
        house.forget([ANN], progress=watch)
        house.maintain(keep_snapshots=1, keep_days=0, progress=watch)
        assert main(["report", "--lake", str(lake), "--redact"]) == 0
    assert during == []
    assert loose(lake) == []
    names = {p.name for p in lake.rglob("*")} | {p.suffix for p in lake.rglob("*")}
    assert {"stedi.toml", "catalog.db", "state.json", ".lock", "runs", "reports", "erasures",
            ".parquet", ".avro", ".html"} <= names


def test_the_command_under_umask_000_writes_a_private_lake(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    d = delivery(tmp_path / "d")
    env = {**os.environ, "STEDI_REPORT": "on"}
    for argv in (["ingest", str(d)], ["run"], ["forget", ANN]):
        subprocess.run([sys.executable, "-m", "stedi", *argv, "--lake", str(lake)], cwd=REPO, env=env, check=True,
                       capture_output=True, preexec_fn=lambda: os.umask(0))
    assert loose(lake) == []


def test_a_lake_made_with_loose_modes_is_made_private_by_the_next_writer(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    house = Lakehouse(lake, create=True)
    house.ingest(delivery(tmp_path / "d"))
    house.run()
    for path in [lake, *lake.rglob("*")]:  # as the code before this issue left a lake
        path.chmod(0o755 if path.is_dir() else 0o644)
    said: list[str] = []
    house.maintain(progress=said.append)
    assert loose(lake) == []
    told = [m for m in said if "private" in m]
    assert len(told) == 1 and "600" in told[0] and "700" in told[0], said
    said.clear()
    house.ingest(delivery(tmp_path / "d"), progress=said.append)  # once: nothing left to say
    assert [m for m in said if "private" in m] == []


def test_spark_writes_private_files(tmp_path: Path, spark) -> None:  # type: ignore[no-untyped-def]
    lake = tmp_path / "lake"
    with umask(0o022):
        house = Lakehouse(lake, create=True)
        house.ingest(delivery(tmp_path / "d"))
        house.run(engine="spark")
    assert loose(lake) == []
