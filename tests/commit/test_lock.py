"""One writer at a time: a second writer fails with who holds the lake since when, or waits;
a lock left by a killed process is taken over; two writers started together never mix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.storage.lock import WriterLock
from stedi.errors import LakeBusyError
from tests.commit.lake_checks import contents, orphans
from tests.conftest import customer, reading, step, write_delivery

ROOT = Path(__file__).resolve().parents[2]
A, B = "a@test.com", "b@test.com"


def stedi(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stedi", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def house(tmp_path: Path) -> Lakehouse:
    delivery = write_delivery(tmp_path / "d", customer=[customer(A, "s1", consent=100)],
                              accelerometer=[reading(A, 50), reading(A, 500)], step_trainer=[step("s1", 500)])
    house = Lakehouse(tmp_path / "lake", create=True)
    house.ingest(delivery)
    return house


def test_a_second_writer_is_told_who_writes_since_when(house: Lakehouse) -> None:
    with WriterLock(Path(house.path), "run").acquire():
        proc = stedi("run", "--lake", str(house.path))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"{house.path}: the lake is being written by `stedi run` (pid {os.getpid()} on " in err
        assert " since 20" in err and "--wait" in err
        proc = stedi("ingest", str(Path(house.path).parent / "d"), "--lake", str(house.path))
        assert proc.wait(timeout=60) == 1 and "being written by `stedi run`" in proc.communicate()[1]
        # Readers never wait for a writer.
        proc = stedi("query", "SELECT count(*) AS n FROM accelerometer_landing", "--lake", str(house.path),
                     "--format", "csv")
        assert proc.communicate(timeout=60) == ("n\n2\n", "") and proc.returncode == 0
        proc = stedi("tables", "--lake", str(house.path), "--format", "csv")
        assert proc.wait(timeout=60) == 0


def test_wait_waits_for_the_writer_and_gives_up_after_its_seconds(house: Lakehouse) -> None:
    lock = WriterLock(Path(house.path), "ingest").acquire()
    with pytest.raises(LakeBusyError, match=r"still being written by `stedi ingest` .* after 0.2 s of waiting"):
        house.run(wait=0.2)
    threading.Timer(0.5, lock.release).start()
    said: list[str] = []
    summary = house.run(wait=30, progress=said.append)
    assert summary.table("machine_learning_curated").rows_out == 1
    assert any(s.startswith("waiting for `stedi ingest`") for s in said)


def test_a_lock_left_by_a_killed_process_is_taken_over(house: Lakehouse) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from stedi.storage.lock import WriterLock; "
        f"WriterLock(Path({str(house.path)!r}), 'run').acquire(); print('held', flush=True); time.sleep(60)")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(LakeBusyError, match=f"pid {holder.pid} "):
        house.run()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert house.run().table("machine_learning_curated").rows_out == 1
    assert json.loads((Path(house.path) / ".lock").read_text() or "{}") == {}  # released: nobody named


def test_two_runs_started_together_never_mix(house: Lakehouse, tmp_path: Path) -> None:
    twin = Lakehouse(tmp_path / "twin", create=True)
    (Path(twin.path) / "stedi.toml").write_bytes((Path(house.path) / "stedi.toml").read_bytes())
    twin = Lakehouse(twin.path)
    twin.ingest(tmp_path / "d")
    expected = {}
    for policy in ("strict", "any-time"):
        twin.run(consent_policy=policy)
        expected[policy] = contents(twin)
    assert expected["strict"] != expected["any-time"]
    for _ in range(4):
        procs = {p: stedi("run", "--lake", str(house.path), "--consent-policy", p) for p in ("strict", "any-time")}
        results = {p: (proc.wait(timeout=120), proc.communicate()[1]) for p, proc in procs.items()}
        ok = [p for p, (code, _) in results.items() if code == 0]
        for code, err in results.values():
            assert code == 0 or (code == 1 and "the lake is being written by `stedi run`" in err), err
            assert "Traceback" not in err
        assert ok, results
        state = house.lake.state()
        assert state is not None and state.consent_policy in ok
        assert contents(house) == expected[state.consent_policy]  # the lake holds what its state says
        assert orphans(house) == []


def test_an_ingest_during_a_run_feeds_it_all_of_a_delivery_or_none(house: Lakehouse, tmp_path: Path) -> None:
    read_before = 2
    for n in range(3):
        second = write_delivery(tmp_path / f"d{n + 2}", accelerometer=[reading(A, 700 + i) for i in range(200)])
        (second / "accelerometer" / "landing" / "accelerometer-1.json").rename(
            second / "accelerometer" / "landing" / f"accelerometer-{n + 2}.json")
        run = stedi("run", "--lake", str(house.path), "--wait")  # the ingest may take the lock first
        ingest = stedi("ingest", str(second), "--lake", str(house.path), "--wait")
        assert ingest.wait(timeout=120) == 0 and run.wait(timeout=120) == 0, (ingest.communicate(), run.communicate())
        state = house.lake.state()
        assert state is not None
        record = house.lake.run_record(state.run_id)
        assert record is not None
        read = {t["name"]: t["total"] for t in record["tables"]}["accelerometer_landing"]  # lines accepted so far
        assert read in (read_before, read_before + 200)  # never part of a delivery
        read_before += 200
