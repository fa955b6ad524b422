"""A real `stedi run` killed (SIGKILL) or interrupted (SIGINT) at many moments, on a lake that
already holds a run under the other consent policy. After each: every table is readable and
the lake shows one run whole (the earlier or the new); the next writer leaves no file of the
dead run behind; a rerun equals an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.generate import generate
from tests.commit.lake_checks import contents, journal_left, orphans

ROOT = Path(__file__).resolve().parents[2]

# (progress line the run prints on stderr, seconds to wait after it): reading, building,
# auditing, each commit and the final state write, each at once and a little later.
MOMENTS = [(line, delay) for line in (
    "reading customer_landing", "reading accelerometer_landing", "reading step_trainer_landing",
    "building customer_trusted", "building accelerometer_trusted", "building step_trainer_trusted",
    "building machine_learning_curated", "auditing privacy",
    "committing accelerometer_trusted", "committing step_trainer_trusted", "committing machine_learning_curated",
    "making the run visible",
) for delay in (0.0, 0.02)]


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, dict, dict]:
    """A lake after an `any-time` run, with what it holds then and after an uninterrupted
    `strict` run (measured on a twin lake with the same pseudonym key)."""
    root = tmp_path_factory.mktemp("crash")
    generate(root / "delivery", customers=150, seed=3)
    twin = Lakehouse(root / "twin", create=True)
    house = Lakehouse(root / "lake", create=True)
    shutil.copy(Path(twin.path) / "stedi.toml", Path(house.path) / "stedi.toml")
    house = Lakehouse(root / "lake")
    for h in (house, twin):
        h.ingest(root / "delivery")
        h.run(consent_policy="any-time")
    earlier = contents(house)
    twin.run(consent_policy="strict")
    later = contents(twin)
    assert earlier != later
    return house, earlier, later


def kill_at(lake: Path, line: str, delay: float, sig: int) -> tuple[str, int, str]:
    """Start `stedi run --consent-policy strict`; send `sig` `delay` s after it prints `line`.
    Returns the last progress line seen, the exit status and what it printed after."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "stedi", "run", "--lake", str(lake), "--consent-policy", "strict"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    seen = ""
    for text in proc.stderr:
        seen = text.strip()
        if line in text:
            if delay:
                time.sleep(delay)
            proc.send_signal(sig)
            break
    rest = proc.stderr.read()
    return seen, proc.wait(timeout=60), rest


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_run_killed_at_any_moment_leaves_one_whole_run(lakes, sig: int) -> None:  # type: ignore[no-untyped-def]
    house, earlier, later = lakes
    for line, delay in MOMENTS:
        seen, status, said = kill_at(house.path, line, delay, sig)
        assert line in seen, (line, seen)
        if sig == signal.SIGINT:  # Ctrl-C: one line, no traceback, the shell's status for it
            outcome = (status, said.splitlines()[-1:])
            if outcome == (-signal.SIGINT, []):  # Python's own exit by the signal, once the run is done
                assert contents(Lakehouse(house.path)) == later, (line, delay)
            else:
                assert outcome in ((130, ["stedi: interrupted"]), (0, [])), (line, delay, said)
        reader = Lakehouse(house.path)  # a reader needs no lock and no recovery
        now = contents(reader)
        assert now in (earlier, later), f"a mix of two runs after a kill at {line!r} + {delay} s"
        if sig == signal.SIGINT and now == earlier:
            assert not journal_left(house), f"an interrupted run rolls itself back ({line!r} + {delay} s): {said}"
        house.run(consent_policy="any-time")  # the next writer settles the dead run first
        assert contents(house) == earlier, line
        assert orphans(house) == [], f"files left behind after a kill at {line!r}"
        assert not journal_left(house)
    house.run(consent_policy="strict")
    assert contents(house) == later  # a rerun equals an uninterrupted run
    house.run(consent_policy="any-time")
