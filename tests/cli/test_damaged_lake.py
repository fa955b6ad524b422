"""A damaged or unwritable lake: every command says so in one line naming the file, and
nothing that can be repaired by a run stops it."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from stedi.cli.main import main
from tests.cli.test_errors import assert_one_line, stedi
from tests.conftest import customer, reading, step, write_delivery


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    assert main(["ingest", str(delivery), "--lake", str(tmp_path / "lake")]) == 0
    assert main(["run", "--lake", str(tmp_path / "lake")]) == 0
    return tmp_path / "lake"


def test_a_corrupt_catalog_is_named_and_readers_still_read(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lake / "catalog.db").write_bytes(b"this is not a database" * 100)
    code, err = stedi(["run", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, f"{lake / 'catalog.db'}: not a readable Iceberg catalog")
    # Readers read the tables the last complete run named, not the catalog.
    assert stedi(["query", "SELECT count(*) FROM machine_learning_curated", "--lake", str(lake)], capsys)[0] == 0
    (lake / "catalog.db").unlink()  # the way out the message gives
    assert stedi(["run", "--lake", str(lake)], capsys)[0] == 0
    assert stedi(["query", "SELECT count(*) FROM machine_learning_curated", "--lake", str(lake)], capsys)[0] == 0


def test_a_cut_short_state_file_is_named_and_a_run_writes_it_anew(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = lake / "state.json"
    state.write_text(state.read_text()[:40])
    code, err = stedi(["tables", "--lake", str(lake)], capsys)
    assert code == 1
    assert_one_line(err, f"{state}: unreadable lake state")
    assert stedi(["run", "--lake", str(lake)], capsys)[0] == 0
    assert stedi(["tables", "--lake", str(lake)], capsys)[0] == 0


def test_a_cut_short_run_record_does_not_stop_tables(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for record in (lake / "runs").glob("*.json"):
        record.write_text("{\"run_id\": ")
    code, err = stedi(["tables", "--lake", str(lake), "--format", "csv"], capsys)
    assert code == 0 and err == ""


def test_run_and_ingest_on_a_lake_they_cannot_write(lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, which file modes do not stop: make the lake's lock file uncreatable as a
    # read-only mount would.
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(str(lake)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    for argv in (["run"], ["ingest", str(tmp_path / "d")]):
        code, err = stedi([*argv, "--lake", str(lake)], capsys)
        assert code == 1
        assert_one_line(err, f"{lake}: cannot write the lake (Read-only file system)")
    # Readers need no lock and write nothing into the lake.
    assert stedi(["query", "SELECT count(*) FROM accelerometer_landing", "--lake", str(lake)], capsys)[0] == 0
    assert stedi(["tables", "--lake", str(lake)], capsys)[0] == 0


@pytest.mark.parametrize("source, message", [
    ("missing", "no such folder"),
    ("file.json", "not a folder"),
    ("empty", "no landing files found"),
])
def test_a_failed_ingest_creates_no_lake(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str,
                                         message: str) -> None:
    (tmp_path / "file.json").write_text("{}\n")
    (tmp_path / "empty").mkdir()
    code, err = stedi(["ingest", str(tmp_path / source), "--lake", str(tmp_path / "new-lake")], capsys)
    assert code == 1
    assert_one_line(err, message)
    assert not (tmp_path / "new-lake").exists()


def test_a_quote_in_the_lake_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    delivery = write_delivery(tmp_path / "d", customer=[customer("a@x.com", "s1", consent=100)],
                              accelerometer=[reading("a@x.com", 500, 1.5)], step_trainer=[step("s1", 500, 7)])
    lake = tmp_path / "it's a lake"
    assert stedi(["ingest", str(delivery), "--lake", str(lake)], capsys)[0] == 0
    assert stedi(["run", "--lake", str(lake)], capsys)[0] == 0
    capsys.readouterr()
    assert main(["query", "SELECT count(*) AS n FROM machine_learning_curated", "--lake", str(lake),
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "it's a lake"]  # nothing written beside it
