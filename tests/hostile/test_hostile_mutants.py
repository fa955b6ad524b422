"""Tests that catch planted bugs the suite let through (issue Trust, 11): each test here failed
on its mutant (planted by hand, one at a time, then reverted) and passes on the product.

- lock: `_holder` taking an empty lock file for a free lock, though `flock` failed;
- report: conservation checked as `read >= accepted + quarantined` (a lost line passed);
- changes: a landing file rewritten in place with the same size, missed when the size alone is
  compared; with its old mtime put back, the product itself missed it (before its change stamps);
- forget: a re-sent record of a forgotten person, registered before the erasure and updated
  after it, let back in when `lastUpdateDate` decides instead of `registrationDate`.
- incremental: a serial number two customers share, given up by one of them, becomes the
  other's alone (the property test, tests/pipeline/test_incremental_property.py, now counts it).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.storage.lock import LOCK_FILE, WriterLock
from stedi.errors import LakeBusyError
from tests.conftest import customer, deliver, reading, step
from tests.reference import assert_lake_matches


# -- The local writer lock ------------------------------------------------------------------

def test_a_lock_held_on_an_empty_file_is_not_taken(tmp_path: Path) -> None:
    """A holder empties `.lock` just before it lets go, and another writer may hold it before
    it writes who it is: the file says nothing, but `flock` says taken. The lock is not ours."""
    (tmp_path / LOCK_FILE).write_bytes(b"")
    other = os.open(tmp_path / LOCK_FILE, os.O_RDWR)  # another open file: flock conflicts as between processes
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LakeBusyError, match="the lake is being written by another stedi process"):
            WriterLock(tmp_path, "run").acquire()
        with pytest.raises(LakeBusyError, match=r"still being written by another stedi process after 0.3 s"):
            WriterLock(tmp_path, "forget").acquire(wait=0.3)
        assert (tmp_path / LOCK_FILE).read_bytes() == b""  # nobody wrote themselves in as the holder
    finally:
        os.close(other)  # lets go of the flock
    with WriterLock(tmp_path, "run").acquire() as lock:  # free now: taken
        assert lock._fd is not None and b'"command": "run"' in (tmp_path / LOCK_FILE).read_bytes()


# -- Conservation in the run report ---------------------------------------------------------

def landing_counts(read: int, accepted: int, quarantined: int, erased: int | None = None) -> dict:
    """A run record with these counts for the accelerometer's landing lines (the others balance)."""
    table = {"name": "accelerometer_landing", "rows_in": read, "rows_out": accepted, "quarantined": quarantined}
    if erased is not None:
        table["erased"] = erased
    balanced = [{"name": f"{s}_landing", "rows_in": 3, "rows_out": 2, "quarantined": 1} for s in ("customer", "step_trainer")]
    return {"tables": [*balanced, table]}


@pytest.mark.parametrize("read, accepted, quarantined, erased, holds", [
    (10, 7, 3, None, True),
    (10, 7, 2, None, False),  # a line lost: read more than accepted and quarantined
    (10, 8, 3, None, False),  # a line counted twice
    (10, 6, 3, 1, True),  # a forgotten person's line, erased
    (10, 6, 3, 0, False),
    (10, 6, 2, 1, False),  # lost, though erased lines are counted
    (10, 7, 3, 1, False),  # counted twice, with erased lines
    (0, 0, 0, 0, True),
])
def test_conservation_holds_only_when_every_line_is_counted_once(read: int, accepted: int, quarantined: int,
                                                                 erased: int | None, holds: bool) -> None:
    from stedi.report.facts import conservation

    found = {c["source"]: c for c in conservation(landing_counts(read, accepted, quarantined, erased))}
    assert found["accelerometer"] == {"source": "accelerometer", "table": "accelerometer_landing", "lines_read": read,
                                      "accepted": accepted, "quarantined": quarantined, "erased": erased or 0,
                                      "holds": holds}
    assert found["customer"]["holds"] and found["step_trainer"]["holds"]


# -- A shared serial number given up by one of its holders ----------------------------------

def test_a_serial_given_up_by_one_of_two_holders_becomes_the_others(tmp_path: Path) -> None:
    """X and Y share serial S: its readings are no one's. X moves to T: S is Y's alone, and an
    incremental run that touches only X must bring Y's S readings in, as a full rebuild does."""
    X, Y = "x@test.com", "y@test.com"
    house = Lakehouse(tmp_path / "lake", create=True)
    deliver(house, tmp_path, 1, customer=[customer(X, "S", consent=0), customer(Y, "S", consent=0)],
            accelerometer=[reading(X, 100), reading(Y, 200)], step_trainer=[step("S", 100), step("S", 200)])
    house.run()
    assert house.table("step_trainer_trusted").to_arrow().num_rows == 0  # S is shared: no one's
    deliver(house, tmp_path, 2, customer=[customer(X, "T", updated=2000, consent=0)])
    summary = house.run()
    assert not summary.full_reason
    trusted = house.table("step_trainer_trusted").to_arrow().to_pylist()
    assert sorted((r["serialnumber"], r["sensorreadingtime"]) for r in trusted) == [("S", 100), ("S", 200)]
    curated = house.table("machine_learning_curated").to_arrow().to_pylist()
    assert [r["sensorreadingtime"] for r in curated] == [200]  # Y's phone at 200 and S at 200: one row
    assert assert_lake_matches(house, None, "strict", landing=False) == 1


# -- A forgotten person's record sent again, registered before the erasure, updated after it --

def test_a_forgotten_persons_record_updated_after_the_erasure_stays_out(tmp_path: Path) -> None:
    """What dates a customer record is when the person registered: a record of an account that
    existed before the erasure is the erased person's, however recently it was updated."""
    ANN, BOB = "ann@test.com", "bob@test.com"
    house = Lakehouse(tmp_path / "lake", create=True)
    deliver(house, tmp_path, 1, customer=[customer(ANN, "s-ann", consent=0), customer(BOB, "s-bob", consent=0)],
            accelerometer=[reading(ANN, 100), reading(BOB, 100)], step_trainer=[step("s-ann", 100), step("s-bob", 100)])
    house.run()
    report = house.forget([ANN])
    later = report.erased_at_ms + 86_400_000  # a day after the erasure
    # Her old account (registered at 500, long before) re-sent by the source system with a new update time.
    deliver(house, tmp_path, 2, customer=[customer(ANN, "s-ann", updated=later, consent=0, registrationDate=500)],
            accelerometer=[reading(BOB, 200)])
    house.run()
    for name in ("customer_trusted", "customer_curated"):
        assert [r["email"] for r in house.table(name).to_arrow().to_pylist()] == [BOB], name
    key = house.lake.config.pseudonym_key
    keys = {r["customer_key"] for r in house.table("machine_learning_curated").to_arrow().to_pylist()}
    assert keys == {hashlib.sha256((key + BOB).encode()).hexdigest()}
    assert [r["serialnumber"] for r in house.table("step_trainer_trusted").to_arrow().to_pylist()] == ["s-bob"]


# -- A landing file rewritten in place after a run read it ----------------------------------

def rewritten_in_place(tmp_path: Path, keep_mtime: bool) -> tuple[Lakehouse, object]:
    """A run reads a landing file; its bytes are then rewritten in place, the same size (x 1.0
    becomes 2.0 in one reading), the mtime set back to the old one if `keep_mtime`; another run."""
    house = Lakehouse(tmp_path / "lake", create=True)
    deliver(house, tmp_path, 1, customer=[customer("a@test.com", "s1", consent=0)],
            accelerometer=[reading("a@test.com", 100, x=1.0), reading("a@test.com", 200, x=1.0)],
            step_trainer=[step("s1", 100), step("s1", 200)])
    house.run()
    path = Path(house.path) / "accelerometer" / "landing" / "accelerometer-1.json"
    before = os.stat(path)
    data = path.read_bytes()
    changed = data.replace(b'"timestamp": 200, "x": 1.0', b'"timestamp": 200, "x": 2.0')
    assert len(changed) == len(data) and changed != data
    with path.open("r+b") as fh:  # in place: the same inode, the same size
        fh.write(changed)
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert after.st_ino == before.st_ino and after.st_size == before.st_size
    assert (after.st_mtime_ns == before.st_mtime_ns) == keep_mtime
    return house, house.run()


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_landing_file_rewritten_in_place_with_the_same_size_is_read_again(tmp_path: Path, keep_mtime: bool) -> None:
    house, summary = rewritten_in_place(tmp_path, keep_mtime)
    assert summary.full_reason == "accelerometer/landing/accelerometer-1.json changed since it was read"
    trusted = house.table("accelerometer_trusted").to_arrow().to_pylist()
    assert sorted((r["timestamp"], r["x"]) for r in trusted) == [(100, 1.0), (200, 2.0)]
    assert house.run().nothing_new  # read again, recorded again: the run after has nothing to do


def test_a_landing_object_in_s3_rewritten_with_the_same_size_is_stamped_anew(bucket: str) -> None:
    """In S3 a run cannot set LastModified back, but it has whole seconds: a rewrite of the same
    size in the second the run listed the object would look unchanged. The ETag tells."""
    from stedi.storage.s3 import S3Storage

    storage = S3Storage(bucket, "lake")
    storage.write_atomic("customer/landing/a.json", '{"x": 1}\n')
    storage.write_atomic("customer/landing/b.json", '{"x": 1}\n')
    storage.write_atomic("customer/other.json", "{}\n")
    first = storage.files("customer/landing", suffix=".json", stamped=True)
    storage.write_atomic("customer/landing/a.json", '{"x": 2}\n')
    then = storage.files("customer/landing", suffix=".json", stamped=True)
    assert [(e.relative, e.size) for e in then] == [(e.relative, e.size) for e in first]
    assert [e.changed for e in first] == [hashlib.md5(b'{"x": 1}\n').hexdigest()] * 2  # noqa: S324 - S3's ETag
    assert [e.changed for e in then] == [hashlib.md5(b'{"x": 2}\n').hexdigest(), first[1].changed]  # noqa: S324
