"""A `stedi run` on a lake in S3 stopped (SIGSTOP) past its lease at the moments that matter, its
lock taken over by a writer on another host that delivers and commits a run of its own, then
let go on: the stopped writer commits nothing and undoes nothing, says so in one line, and the
lake stays as the other writer left it (every table readable, Glue naming what state.json names).
The lease is a setting: 1 s here, so the other writer takes over within a few seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import generate
from tests.aws.fault_proxy import request_to
from tests.commit.lake_checks import contents, journal_left

ROOT = Path(__file__).resolve().parents[2]
LEASE = "1"


def start_paused_run(house: Lakehouse, line: str) -> tuple[subprocess.Popen, int]:
    """A `stedi run` of this host, each progress line held until let go, stopped (SIGSTOP, its
    lease's heartbeat too) once it prints `line`. Returns it and the pipe that lets it go on."""
    go_read, go = os.pipe()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STEDI_TEST_GO_FD": str(go_read)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.commit.paused_cli", "run", "--lake", house.path],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            pass_fds=(go_read,))
    os.close(go_read)
    assert proc.stderr is not None
    for text in proc.stderr:
        if line in text:
            proc.send_signal(signal.SIGSTOP)
            return proc, go
        os.write(go, b"x")
    raise AssertionError(f"the run never printed {line!r}: {proc.wait()}")


def glue_and_state_agree(house: Lakehouse) -> bool:
    state = house.lake.state()
    assert state is not None
    current = house.lake.store.metadata_locations()
    return all(current.get(name) == table.metadata_location for name, table in state.tables.items())


def test_writers_stopped_past_their_lease_and_taken_over_change_nothing(
        bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEDI_LOCK_LEASE", LEASE)  # this host's writers and the other's
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    # Stopped with every table committed (the first run: it creates them), then, with a run
    # before it, at its first commit.
    for step, line in enumerate(["making the run visible", "committing customer_accepted"]):
        generate(tmp_path / line, customers=8, seed=step)
        house.ingest(tmp_path / line)
        stopped, go = start_paused_run(house, line)
        try:
            # Another host: it waits out the stopped writer's lease, takes the lock over, rolls
            # the stopped run back, and commits a run of its own (of the same delivery).
            with monkeypatch.context() as other_host:
                other_host.setattr(socket, "gethostname", lambda: "other-host.example")
                theirs = house.run(wait=60)
            left = contents(house)
        finally:
            stopped.send_signal(signal.SIGCONT)
            os.close(go)  # every line goes
        assert stopped.stderr is not None
        said = [text for text in stopped.stderr.read().splitlines() if not text.startswith("… ")]
        stopped.wait(timeout=60)
        again = Lakehouse(house.path)  # what a user checks: the other host's run, whole and readable
        assert again.lake.state().run_id == theirs.run_id, line  # type: ignore[union-attr]
        assert contents(again) == left and glue_and_state_agree(again), line
        assert again.query("SELECT count(*) FROM machine_learning_curated").to_pylist()[0]["count_star()"] > 0
        assert not journal_left(again) and not again.lake.storage.exists(".lock"), line
        assert stopped.wait(timeout=60) == 1, (line, said)  # and it said so, in one line
        assert len(said) == 1 and said[0].startswith(
            f"stedi: error: {house.path}: another writer took the writer lock over after this writer's lease "
            "ran out; run "), (line, said)
        assert said[0].endswith(" committed nothing and rolled nothing back: the lake is as that writer leaves it")


def test_a_run_through_a_network_that_loses_answers_ends_committed_and_unlocked(
        proxy, bucket: str, tmp_path: Path) -> None:
    # The answer to the lock's create lost, and 2% of all connections reset (seeded: repeatable).
    generate(tmp_path / "delivery", customers=8, seed=3)
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(tmp_path / "delivery")
    lost = proxy.add("lose_answer", request_to("PUT", path_contains="/lake/.lock"))
    cut = proxy.add("reset", times=None, probability=0.02)
    done = house.run()
    assert lost.hits == 1 and cut.hits > 0
    proxy.clear()
    assert house.lake.state().run_id == done.run_id  # type: ignore[union-attr]
    assert glue_and_state_agree(house) and not house.lake.storage.exists(".lock")
