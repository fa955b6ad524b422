"""A forget that passed its commit point is finished, whatever stops it (issue Trust, 1).

Killed (SIGKILL) at each step after its commit point, or failing there (a full disk, a cut
network): the erasure holds; readers never read the lake as of a moment before it; the next
writer finishes it first and says so; afterwards no file (and no old object version in a
versioned bucket) holds the person.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from stedi.errors import StediError
from tests.conftest import customer, deliver, reading, step
from tests.erasure_scan import assert_no_hits, scan_bucket, scan_folder
from tests.moto_server import REGION

ROOT = Path(__file__).resolve().parents[2]
CRAIG, BOB = "craig.fib@test.com", "bob.kept@test.com"
CRAIG_VALUES = [CRAIG, "Craig Fibonnaci", "8015550199", "craig-serial-0000-1111"]
# Each step after a forget's commit point, and how to die there: (where, what is patched to
# SIGKILL the process at once after (or, for "before", instead of) its first call). Deterministic:
# the process kills itself at that very step, as an outside kill -9 landing there would.
STEPS = {
    "after the commit point": ("stedi.commit.state", "LakeState.write", "after"),
    "before the run record": ("stedi.pipeline.records", "write_record", "before"),
    "after dropping the originals": ("stedi.forget.finish", "discard", "after"),
    "after the first expiry": ("stedi.maintain.retention", "_expire", "after"),
    "after the first table's files went": ("stedi.maintain.retention", "_sweep", "after"),
    "before purging old versions": ("stedi.storage.local", "LocalStorage.purge_old_versions", "before"),
    "before the journal goes": ("stedi.forget.finish", "Journal.delete", "before"),
}
KILLER = """
import importlib, os, signal, sys
module, name, when = sys.argv[1:4]
owner = importlib.import_module(module)
*path, attr = name.split(".")
for part in path:
    owner = getattr(owner, part)
real = getattr(owner, attr)
def die(*args, **kwargs):
    if when == "after":
        real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
setattr(owner, attr, die)
sys.argv = ["stedi"] + sys.argv[4:]
from stedi.cli.main import entry
entry()
"""


def make_lake(where: Path) -> tuple[Lakehouse, str]:
    """A lake with two runs, both holding Craig; returns it and the first run's id."""
    house = Lakehouse(where / "lake", create=True)
    deliver(house, where, 1,
            customer=[customer(CRAIG, "craig-serial-0000-1111", consent=100, customerName="Craig Fibonnaci",
                               phone="8015550199"),
                      customer(BOB, "bob-serial", consent=100, referredBy=CRAIG)],
            accelerometer=[reading(CRAIG, 500), reading(BOB, 500)],
            step_trainer=[step("craig-serial-0000-1111", 500), step("bob-serial", 500)])
    first = house.run().run_id
    deliver(house, where, 2, accelerometer=[reading(CRAIG, 700), reading(BOB, 700)])
    house.run()
    return house, first


def kill_forget_at(lake: str, step: str) -> int:
    """`stedi forget CRAIG`, killed at `step`; its exit status."""
    module, name, when = STEPS[step]
    done = subprocess.run([sys.executable, "-c", KILLER, module, name, when, "forget", CRAIG, "--lake", lake],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode


def committed_erasure(house: Lakehouse) -> str | None:
    state = json.loads((Path(house.path) / "state.json").read_text())
    record = Path(house.path) / "erasures" / state["run_id"] / "report.json"
    return state["run_id"] if record.exists() else None


@pytest.mark.parametrize("step", STEPS)
def test_a_forget_killed_after_its_commit_point_is_finished_by_the_next_writer(tmp_path: Path, step: str) -> None:
    house, first = make_lake(tmp_path)
    assert kill_forget_at(house.path, step) == -signal.SIGKILL
    erasure = committed_erasure(house)
    assert erasure is not None and (Path(house.path) / "journal.json").exists()
    # Committed: he is gone from what readers read now, and the past that holds him cannot be read.
    assert house.query(f"SELECT count(*) AS n FROM customer_trusted WHERE email = '{CRAIG}'").to_pylist() == [{"n": 0}]
    with pytest.raises(StediError, match=f"erasure {erasure} is committed but not finished"):
        house.query("SELECT count(*) FROM customer_trusted", as_of=first)
    said: list[str] = []
    house.maintain(progress=said.append)  # the next writer finishes it first, and says so
    assert any(f"finishing erasure {erasure}" in s for s in said), said
    finished = json.loads((Path(house.path) / "erasures" / erasure / "report.json").read_text())
    assert finished["finished"] is True
    assert not (Path(house.path) / "journal.json").exists()
    assert not list(Path(house.path).glob("forget-*"))
    with pytest.raises(StediError, match="a forget"):
        house.query("SELECT count(*) FROM customer_trusted", as_of=first)
    assert_no_hits(scan_folder(Path(house.path), CRAIG_VALUES), f"the lake after a kill {step}")
    bob = house.query(f"SELECT count(*) AS n FROM accelerometer_trusted WHERE user = '{BOB}'").to_pylist()
    assert bob == [{"n": 2}]


def test_a_forget_that_fails_after_its_commit_point_says_so_and_the_next_writer_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from stedi.maintain import retention

    house, first = make_lake(tmp_path)
    real = retention.retain

    def disk_full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(retention, "retain", disk_full)
    assert main(["forget", CRAIG, "--lake", house.path]) == 1
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("… ")]
    assert len(err) == 1 and "is committed" in err[0] and "stedi maintain" in err[0], err
    monkeypatch.setattr(retention, "retain", real)
    assert house.query(f"SELECT count(*) AS n FROM customer_trusted WHERE email = '{CRAIG}'").to_pylist() == [{"n": 0}]
    with pytest.raises(StediError, match="not finished"):
        house.query("SELECT * FROM customer_trusted", as_of=first)
    said: list[str] = []
    house.run(progress=said.append)  # any writer finishes it first
    assert any("finishing erasure" in s for s in said)
    assert_no_hits(scan_folder(Path(house.path), CRAIG_VALUES))


def test_in_a_versioned_bucket_the_next_writer_purges_what_a_cut_network_left(
        bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stedi.storage.s3 import S3Storage

    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    deliver(house, tmp_path, 1, customer=[customer(CRAIG, "craig-serial-0000-1111", consent=100,
                                                   customerName="Craig Fibonnaci", phone="8015550199"),
                                          customer(BOB, "bob-serial", consent=100)],
            accelerometer=[reading(CRAIG, 500), reading(BOB, 500)])
    house.run()
    real = S3Storage.purge_old_versions

    def cut(self):  # type: ignore[no-untyped-def]
        raise StediError(f"s3://{bucket}/lake: cannot reach S3 (check AWS_ENDPOINT_URL and the network)")

    monkeypatch.setattr(S3Storage, "purge_old_versions", cut)
    with pytest.raises(StediError, match="is committed"):
        house.forget(CRAIG)
    assert scan_bucket(s3, bucket, "", CRAIG_VALUES)  # old versions still hold him: not finished
    monkeypatch.setattr(S3Storage, "purge_old_versions", real)
    time.sleep(0.01)
    house.maintain()
    assert_no_hits(scan_bucket(s3, bucket, "", CRAIG_VALUES), "the bucket once the erasure was finished")
