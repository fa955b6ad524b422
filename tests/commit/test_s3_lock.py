"""One writer at a time in an S3 lake: a second writer is told who writes since when, or
waits; a lock whose holder died (on this machine) or went silent past its lease (by S3's
clock) is taken over; a live holder's lock never is, whatever this machine's clock says; a
holder that lost its lock never deletes another's and fails its check; a create whose answer
was lost holds its lock; the state is replaced only if unchanged since it was read."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import pytest

from stedi.storage.s3_lock import S3WriterLock
from stedi.commit.state import LakeState
from stedi.errors import ChangedMeanwhileError, LakeBusyError, LockLostError, StediError
from stedi.storage.s3 import S3Storage
from tests.aws.fault_proxy import request_to
from tests.moto_server import REGION, SECRET_KEY


@pytest.fixture
def lake(bucket: str) -> S3Storage:
    return S3Storage(bucket, "lakes/one")


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def lock_object(lake: S3Storage) -> dict[str, Any] | None:
    try:
        return json.loads(s3().get_object(Bucket=lake.bucket, Key="lakes/one/.lock")["Body"].read())
    except s3().exceptions.NoSuchKey:
        return None


def put_lock(lake: S3Storage, **holder: Any) -> None:
    record = {"command": "run", "pid": 4242, "host": "elsewhere.example", "since": "2020-01-01 00:00:00 UTC",
              "token": "theirs", "heartbeat": time.time(), **holder}
    s3().put_object(Bucket=lake.bucket, Key="lakes/one/.lock", Body=json.dumps(record).encode())


def put_stale_lock(lake: S3Storage) -> None:
    """A lock elsewhere whose holder went silent past its lease, by S3's clock: a lease of 0.5 s,
    and 1.05 s gone by (LastModified and Date have whole seconds, so S3 then says at least 1 s)."""
    put_lock(lake, lease=0.5)
    time.sleep(1.05)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid names no process now
    return child.pid


def test_the_lock_is_an_object_that_says_who_holds_it_and_goes_on_release(lake: S3Storage) -> None:
    with lake.writer_lock("ingest").acquire() as lock:  # how the lake asks for it
        assert isinstance(lock, S3WriterLock)
        held = lock_object(lake)
        assert held is not None and held["command"] == "ingest" and held["pid"] == os.getpid()
        assert held["host"] == socket.gethostname() and held["since"].startswith("20")
        assert held["token"] and held["heartbeat"] <= time.time()
        assert SECRET_KEY not in json.dumps(held)
    assert lock_object(lake) is None
    lock.release()  # twice is harmless
    assert S3WriterLock(lake, "run").acquire() is not None  # and the lake is free again


def test_a_second_writer_is_told_who_writes_since_when(lake: S3Storage) -> None:
    with S3WriterLock(lake, "run").acquire():
        with pytest.raises(LakeBusyError) as busy:
            S3WriterLock(lake, "ingest").acquire()
    message = str(busy.value)
    assert message.startswith(f"{lake.root}: the lake is being written by `stedi run` "
                              f"(pid {os.getpid()} on {socket.gethostname()}) since 20")
    assert message.endswith("; try again when it is done, or wait for it (`--wait` on the command line, `wait=` in Python)") and "\n" not in message


def test_wait_waits_for_the_writer_and_gives_up_after_its_seconds(lake: S3Storage) -> None:
    first = S3WriterLock(lake, "ingest").acquire()
    started = time.monotonic()
    with pytest.raises(LakeBusyError, match=r"still being written by `stedi ingest` \(pid .*\) since .* "
                                            r"after 0.3 s of waiting$"):
        S3WriterLock(lake, "run").acquire(wait=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    threading.Timer(0.3, first.release).start()
    said: list[str] = []
    with S3WriterLock(lake, "run").acquire(wait=30, on_wait=said.append):
        assert lock_object(lake)["command"] == "run"  # type: ignore[index]
    assert len(said) == 1 and said[0].startswith("waiting for `stedi ingest` (pid ")


def test_a_lock_left_by_a_killed_process_on_this_machine_is_taken_over_at_once(lake: S3Storage) -> None:
    put_lock(lake, pid=dead_pid(), host=socket.gethostname())  # heartbeat fresh: only the pid tells
    with S3WriterLock(lake, "run").acquire(), pytest.raises(LakeBusyError, match=f"pid {os.getpid()} "):
        S3WriterLock(lake, "ingest").acquire()


def test_a_silent_holder_elsewhere_is_taken_over_after_its_lease(lake: S3Storage) -> None:
    put_lock(lake, lease=0.5)  # the holder's own lease decides (ours is 120 s)
    with S3WriterLock(lake, "run").acquire(wait=10):
        assert lock_object(lake)["pid"] == os.getpid()  # type: ignore[index]
    assert lock_object(lake) is None


def test_a_live_holder_elsewhere_is_never_taken_over(lake: S3Storage) -> None:
    put_lock(lake, heartbeat=time.time() - 500, pid=dead_pid())  # that pid means nothing on this machine
    before = lock_object(lake)
    with pytest.raises(LakeBusyError, match=r"being written by `stedi run` \(pid \d+ on elsewhere.example\) "
                                            r"since 2020-01-01 00:00:00 UTC;"):
        S3WriterLock(lake, "ingest").acquire()
    assert lock_object(lake) == before


def test_the_holder_keeps_its_lease_alive(lake: S3Storage) -> None:
    # A lease long enough for the heartbeat to beat in time on a loaded machine (the tests run on
    # two workers); 2.4 s in, twice the lease, the lock is still held.
    with S3WriterLock(lake, "run", lease=1.2).acquire() as lock:
        beats = [lock_object(lake)["heartbeat"]]  # type: ignore[index]
        for _ in range(3):
            time.sleep(0.8)
            beats.append(lock_object(lake)["heartbeat"])  # type: ignore[index]
            with pytest.raises(LakeBusyError):
                S3WriterLock(lake, "ingest", lease=1.2).acquire()
        assert beats == sorted(beats) and beats[-1] - beats[0] > 1.5
        assert not lock.lost
    assert lock_object(lake) is None


def test_a_holder_that_lost_its_lock_never_deletes_the_new_one(lake: S3Storage) -> None:
    lock = S3WriterLock(lake, "run").acquire()
    put_lock(lake)  # taken over (as if we had gone silent past our lease)
    lock.release()
    assert lock_object(lake)["token"] == "theirs"  # type: ignore[index]
    # With a heartbeat running, the holder notices and stops refreshing.
    s3().delete_object(Bucket=lake.bucket, Key="lakes/one/.lock")
    lock = S3WriterLock(lake, "run", lease=0.2).acquire()
    put_lock(lake)
    deadline = time.monotonic() + 2
    while not lock.lost and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock.lost and lock_object(lake)["token"] == "theirs"  # type: ignore[index]
    lock.release()
    assert lock_object(lake)["token"] == "theirs"  # type: ignore[index]


def test_writers_racing_for_a_free_or_a_stale_lock_get_it_one_at_a_time(lake: S3Storage) -> None:
    for stale in (False, True):
        if stale:
            put_stale_lock(lake)
        locks = [S3WriterLock(lake, f"run{i}") for i in range(6)]
        won: list[S3WriterLock] = []
        barrier = threading.Barrier(len(locks))

        def take(lock: S3WriterLock) -> None:
            barrier.wait()
            try:
                won.append(lock.acquire())
            except LakeBusyError:
                pass

        threads = [threading.Thread(target=take, args=(lock,)) for lock in locks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1 and lock_object(lake)["command"] == won[0].command  # type: ignore[index]
        won[0].release()


def test_a_writer_that_saw_a_stale_lock_never_deletes_the_one_that_replaced_it(
        lake: S3Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    put_stale_lock(lake)
    first, late = S3WriterLock(lake, "run"), S3WriterLock(lake, "ingest")
    read = late._read

    def read_then_first_takes_over() -> Any:
        found = read()  # `late` has just seen the stale lock...
        if first._beat is None:
            first.acquire()  # ...and `first` takes it over before `late` deletes it
        return found

    monkeypatch.setattr(late, "_read", read_then_first_takes_over)
    with pytest.raises(LakeBusyError, match=r"being written by `stedi run` \(pid "):
        late.acquire()
    assert lock_object(lake)["command"] == "run"  # type: ignore[index]
    first.release()


def test_a_missing_bucket_is_one_line(aws: Any) -> None:
    lake = S3Storage("stedi-test-no-such-bucket", "lake")
    with pytest.raises(StediError) as failed:
        S3WriterLock(lake, "run").acquire()
    assert not isinstance(failed.value, LakeBusyError)
    assert str(failed.value) == "s3://stedi-test-no-such-bucket/lake: cannot take the writer lock: " \
                                "the bucket does not exist"
    assert not re.search(r"Traceback|\n", str(failed.value))


def test_a_create_whose_answer_was_lost_holds_the_lock_it_made(proxy, bucket: str) -> None:
    # S3 made the lock, the answer never came back, botocore sent the create again and S3 refused
    # it: the lock found is this writer's own (its token), so it holds it, and lets it go after.
    lake = S3Storage(bucket, "lakes/one")
    lost = proxy.add("lose_answer", request_to("PUT", path_contains="/lakes/one/.lock"))
    with S3WriterLock(lake, "run").acquire() as lock:
        assert lost.hits == 1 and lock_object(lake)["pid"] == os.getpid()  # type: ignore[index]
        lock.confirm()
    assert lock_object(lake) is None  # nothing left to lock other hosts out
    S3WriterLock(lake, "ingest").acquire().release()


def test_a_machine_whose_clock_runs_two_minutes_ahead_takes_no_live_lock(
        lake: S3Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    put_lock(lake)  # a live holder elsewhere: it wrote its lock (heartbeat and all) just now
    before = lock_object(lake)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 121)  # this machine's clock: 2 minutes ahead
    with pytest.raises(LakeBusyError, match=r"being written by `stedi run` \(pid 4242 on elsewhere.example\)"):
        S3WriterLock(lake, "ingest").acquire()
    assert lock_object(lake) == before


def test_a_holder_whose_lock_was_taken_over_fails_its_check_naming_the_new_holder(lake: S3Storage) -> None:
    lock = S3WriterLock(lake, "run").acquire()
    lock.confirm()  # held: the check passes (and renews the lease)
    put_lock(lake)  # taken over, as after our lease ran out while we were stopped
    with pytest.raises(LockLostError) as lost:
        lock.confirm()
    assert str(lost.value) == (f"{lake.root}: `stedi run` (pid 4242 on elsewhere.example) since 2020-01-01 00:00:00 "
                               "UTC took the writer lock over after this writer's lease ran out; this writer changed "
                               "nothing more: the lake is as that writer leaves it")
    lock.release()
    assert lock_object(lake)["token"] == "theirs"  # type: ignore[index]


def test_the_state_is_replaced_only_if_unchanged_since_it_was_read(proxy, bucket: str) -> None:
    lake = S3Storage(bucket, "lakes/one")
    LakeState("first").write(lake, replacing=None)  # a lake with no state yet: If-None-Match
    with pytest.raises(ChangedMeanwhileError, match=r"/lakes/one/state.json: changed by another writer meanwhile"):
        LakeState("second").write(lake, replacing=None)
    read = LakeState.read(lake)
    assert read is not None and read.run_id == "first" and read.version
    LakeState("theirs").write(lake)
    with pytest.raises(ChangedMeanwhileError):
        LakeState("ours").write(lake, replacing=read.version)  # If-Match what we read: no longer so
    assert LakeState.read(lake).run_id == "theirs"  # type: ignore[union-attr]
    # Our own write whose answer was lost, its retry refused: it is there, so it went through.
    proxy.add("lose_answer", request_to("PUT", path_contains="/lakes/one/state.json"))
    LakeState("ours").write(lake, replacing=LakeState.read(lake).version)  # type: ignore[union-attr]
    assert LakeState.read(lake).run_id == "ours"  # type: ignore[union-attr]
