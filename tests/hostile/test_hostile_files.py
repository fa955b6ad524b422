"""Files that hold personal data are private, and nothing the user asks for overwrites the lake.

A local lake is its owner's alone, as a database's data folder is: every file 600 and every
folder 700 whatever the umask (022, 000), written by stedi, DuckDB, pyiceberg, SQLite or Spark,
through the library and through the command; a lake made with looser modes is made private by
the next writer. An output the user names (`report --out`, `generate OUT`, `demo --lake`) never
lands on, or deletes, a lake's files.
"""

from __future__ import annotations

import os
import shutil
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


# -- 6. outputs the user names --------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    house = Lakehouse(root / "lake", create=True)
    house.ingest(delivery(root / "d"))
    house.run()
    return root / "lake"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code  # type: ignore[assignment]
    return code, capsys.readouterr().err


def one_line(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if not line.startswith("… ")]
    assert len(lines) == 1 and lines[0].startswith("stedi: error: ") and "Traceback" not in err, err
    assert all(word in lines[0] for word in words), err


def _run_record(lake: Path) -> Path:
    return next((lake / "runs").glob("*.json"))


@pytest.mark.parametrize("out", [
    lambda lake, tmp: lake / "stedi.toml",
    lambda lake, tmp: _run_record(lake),
    lambda lake, tmp: lake / "reports" / "mine.html",
    lambda lake, tmp: lake / "customer" / ".." / "stedi.toml",
    lambda lake, tmp: lake.parent / "x" / ".." / "lake" / "state.json",
    lambda lake, tmp: _link(tmp / "report.html", lake / "stedi.toml"),
    lambda lake, tmp: _link(tmp / "lake-link", lake) / "runs" / "new.html",
], ids=["key", "run-record", "new-file", "dotdot-inside", "dotdot-outside", "symlink-file", "symlink-folder"])
def test_report_out_never_writes_into_the_lake(built: Path, tmp_path: Path, out, capsys) -> None:  # type: ignore[no-untyped-def]
    before = files_of(built)
    target = out(built, tmp_path)
    code, err = cli(["report", "--lake", str(built), "--out", str(target)], capsys)
    assert code == 1
    one_line(err, str(target), "inside the lake")
    assert files_of(built) == before


def _link(link: Path, to: Path) -> Path:
    link.symlink_to(to)
    return link


def test_report_out_never_writes_into_another_lake(built: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    other = Lakehouse(tmp_path / "other", create=True).lake.storage.local()
    before = files_of(other)
    code, err = cli(["report", "--lake", str(built), "--out", str(other / "stedi.toml")], capsys)
    assert code == 1
    one_line(err, "inside the lake", str(other))
    assert files_of(other) == before
    code, _ = cli(["report", "--lake", str(built), "--out", str(tmp_path / "mine.html")], capsys)
    assert code == 0 and (tmp_path / "mine.html").stat().st_mode & 0o077 == 0  # it quotes quarantined lines


@pytest.mark.parametrize("where", ["", "customer/landing", "customer", "reports/new"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_generate_never_writes_into_a_lake(built: Path, where: str, overwrite: bool, capsys) -> None:  # type: ignore[no-untyped-def]
    before = files_of(built)
    out = built / where if where else built
    code, err = cli(["generate", str(out), "--customers", "2"] + (["--overwrite"] if overwrite else []), capsys)
    assert code == 1
    one_line(err, str(out), "inside the lake", "stedi ingest")
    assert files_of(built) == before


def test_demo_replaces_only_a_lake_it_made(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    demo = tmp_path / "demo-lake"
    assert main(["demo", "--lake", str(demo), "--customers", "2"]) == 0
    assert loose(demo) == []

    # A real lake with the mark added (copied from the demo lake, or written by hand).
    real = tmp_path / "real"
    Lakehouse(real, create=True).ingest(delivery(tmp_path / "d"))
    shutil.copy(demo / ".stedi-demo", real / ".stedi-demo")
    before = files_of(real)
    code, err = cli(["demo", "--lake", str(real), "--customers", "2"], capsys)
    assert code == 1
    one_line(err, str(real), "not made by `stedi demo`")
    assert files_of(real) == before

    # A folder that is no lake at all, with the mark.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    shutil.copy(demo / ".stedi-demo", mine / ".stedi-demo")
    code, err = cli(["demo", "--lake", str(mine), "--customers", "2"], capsys)
    assert code == 1 and (mine / "thesis.tex").read_text() == "years of work"
    one_line(err, str(mine))

    # A symlink to the demo lake: never followed to delete what it points at.
    link = _link(tmp_path / "link", demo)
    before = files_of(demo)
    code, err = cli(["demo", "--lake", str(link), "--customers", "2"], capsys)
    assert code == 1
    one_line(err, str(link), "symlink")
    assert files_of(demo) == before and link.is_symlink()

    # Its own lake it replaces.
    assert main(["demo", "--lake", str(demo), "--customers", "2", "--seed", "7"]) == 0
    assert files_of(demo) != before


@pytest.mark.parametrize("where", ["customer/trusted/new", "reports/lake"])
def test_a_new_lake_is_never_made_inside_a_lake(built: Path, tmp_path: Path, where: str, capsys) -> None:  # type: ignore[no-untyped-def]
    """Its files would lie in the outer lake's folders: a maintain there deletes what no snapshot refers to."""
    before = files_of(built)
    d = delivery(tmp_path / "d")
    code, err = cli(["ingest", str(d), "--lake", str(built / where)], capsys)
    assert code == 1
    one_line(err, str(built / where), f"inside the lake {built}")
    assert files_of(built) == before and not (built / where).exists()


def test_spark_log_settings_never_write_through_a_planted_symlink(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Found by looking for every file stedi writes: Spark's log settings went to a fixed name in
    the shared temporary folder, written through whatever another user had put there."""
    pytest.importorskip("pyspark")
    import tempfile

    from pyspark.sql import SparkSession

    from stedi.engines import spark_session
    from stedi.errors import StediError

    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    (shared / "stedi-spark-log4j2.properties").symlink_to(victim)  # another user's doing
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, value in [("STEDI_SPARK_CLASS_ARCHIVE", "off"), ("PYSPARK_PYTHON", sys.executable),
                        ("SPARK_LOCAL_IP", "127.0.0.1")]:
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(spark_session, "require_java", lambda: None)

    def no_jvm(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("no JVM in this test")

    monkeypatch.setattr(type(SparkSession.builder), "getOrCreate", no_jvm)
    with pytest.raises(StediError, match="no JVM in this test"):
        spark_session.start_session("local[1]")
    assert victim.read_text() == "mine"
