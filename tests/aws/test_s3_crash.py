"""A `stedi run` on a lake in S3 killed at the moments that matter: readers see one run whole,
the next writer takes over the dead writer's lock at once (same machine, dead pid), rolls the
dead run back in Glue and deletes every object it wrote."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.commit.journal import Journal
from stedi.generate import generate
from tests.commit.lake_checks import contents, journal_left, orphans
from tests.commit.test_crash import kill_at
from tests.moto_server import aws_environment, new_bucket

MOMENTS = ["building accelerometer_trusted", "committing step_trainer_trusted",
           "committing machine_learning_curated", "making the run visible"]


@pytest.fixture(scope="module")
def lake(moto_server, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("s3-crash")
    generate(root / "delivery", customers=60, seed=5)
    with aws_environment(moto_server, root), pytest.MonkeyPatch.context() as env:
        bucket = new_bucket()
        env.setenv("STEDI_GLUE_DATABASE", bucket.replace("-", "_"))
        house = Lakehouse(f"s3://{bucket}/lake", create=True)
        house.ingest(root / "delivery")
        house.run(consent_policy="strict")
        later = contents(house)
        house.run(consent_policy="any-time")
        yield house, contents(house), later


@pytest.mark.parametrize("line", MOMENTS)
def test_a_run_killed_in_s3_leaves_one_whole_run_and_nothing_behind(lake, line: str) -> None:
    house, earlier, later = lake
    seen, status, _ = kill_at(house.path, line, 0.0, signal.SIGKILL)
    assert line in seen and status == -signal.SIGKILL
    assert contents(Lakehouse(house.path)) in (earlier, later)
    dead = Journal.read(house.lake.storage)
    assert dead is not None  # killed mid-run: its journal names it
    house.run(consent_policy="any-time")  # takes the dead writer's lock over, rolls its run back
    assert contents(house) == earlier
    assert orphans(house) == []
    assert not journal_left(house) and not house.lake.storage.exists(".lock")
    # DuckDB's spill folder of a run in S3 is local, outside the lake: the dead run's goes too.
    assert list(Path(tempfile.gettempdir()).glob(f"stedi-spill-{dead.run_id}-*")) == []
