"""A lake moved or copied elsewhere: readers say in one line what to do; a run rebuilds the
tables inside the lake and never writes where the lake came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.errors import MovedLakeError
from tests.commit.lake_checks import contents, orphans
from tests.conftest import customer, reading, step, write_delivery

A = "a@test.com"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    delivery = write_delivery(tmp_path / "d", customer=[customer(A, "s1", consent=100)],
                              accelerometer=[reading(A, 500)], step_trainer=[step("s1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    house.run()
    return Path(house.path)


def files_and_times(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_a_moved_lake_says_what_to_do_then_a_run_rebuilds_it(lake: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    before = contents(Lakehouse(lake))
    moved = tmp_path / "elsewhere" / "lake"
    moved.parent.mkdir()
    shutil.move(lake, moved)
    for argv in (["tables"], ["query", "SELECT count(*) FROM machine_learning_curated"]):
        assert main([*argv, "--lake", str(moved)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"moved or copied from {lake}" in err
        assert f"`stedi run --lake {moved}` rebuilds them here" in err
    with pytest.raises(MovedLakeError):
        Lakehouse(moved).table("customer_trusted").to_arrow()
    assert main(["run", "--lake", str(moved)]) == 0
    assert "rebuilding its tables here" in capsys.readouterr().err
    assert contents(Lakehouse(moved)) == before  # the same key: the same customer_key
    assert not lake.exists()  # nothing was written where the lake used to be
    assert orphans(Lakehouse(moved)) == []


def test_a_run_in_a_copy_leaves_the_original_alone(lake: Path, tmp_path: Path) -> None:
    original = files_and_times(lake)
    copy = tmp_path / "copy"
    shutil.copytree(lake, copy)
    house = Lakehouse(copy)
    house.run(consent_policy="any-time")
    house.run()
    assert files_and_times(lake) == original
    assert contents(house) == contents(Lakehouse(lake))
    assert all(house.lake.holds(loc) for loc in house.committed_locations().values())
    assert orphans(house) == []
