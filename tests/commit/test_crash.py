"""A real `stedi run` killed (SIGKILL) or interrupted (SIGINT) at many moments, on a lake that
already holds a run under the other consent policy. After each: every table is readable and
the lake shows one run whole (the earlier or the new); the next writer leaves no file of the
dead run behind; a rerun equals an uninterrupted run.

A Ctrl-C has one right outcome per moment, so the interrupted run cannot get past the progress
line after the moment before the signal is sent (tests/commit/paused_cli.py). (Without that, a
test process the loaded machine did not schedule for a second sent its "at once" Ctrl-C after the
run had committed, or ended: exit 0, the run's later lines after the moment, which read as a lost
Ctrl-C.) Every moment below
but the last comes before the commit point, and the run must stop with status 130, leaving the
earlier run. The last, 0.02 s after "making the run visible" (no line follows before the commit
point), may come before it (the same) or after it: then the run is committed and says so, or was
done already. A Ctrl-C while the report is written, after the commit point, says it is committed."""

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
from tests.commit.lake_checks import contents, journal_left, orphans, visible_run

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


def interrupt_at(lake: Path, line: str, delay: float, report: str = "off") -> tuple[int, str]:
    """Start `stedi run --consent-policy strict`, each of its progress lines held until let go;
    send SIGINT at `line` (`delay` > 0: let it go, and send `delay` s later, before the next line
    goes). Returns the exit status and what it printed after."""
    go_read, go = os.pipe()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STEDI_TEST_GO_FD": str(go_read), "STEDI_REPORT": report}
    proc = subprocess.Popen([sys.executable, "-m", "tests.commit.paused_cli", "run", "--lake", str(lake),
                             "--consent-policy", "strict"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, pass_fds=(go_read,))
    os.close(go_read)
    assert proc.stderr is not None
    try:
        for text in proc.stderr:
            if line in text:
                if delay:
                    os.write(go, b"x")
                    time.sleep(delay)
                proc.send_signal(signal.SIGINT)
                break
            os.write(go, b"x")
        else:
            raise AssertionError(f"the run never printed {line!r}")
    finally:
        os.close(go)  # every later line goes
    rest = proc.stderr.read()
    return proc.wait(timeout=60), rest


def said(err: str) -> list[str]:
    """What a command said on stderr besides its progress lines."""
    return [line for line in err.splitlines() if not line.startswith("… ")]


def committed(run_id: str) -> str:
    return (f"stedi: interrupted after the commit point: run {run_id} is committed and its tables are visible (the "
            f"next run finishes its tidy-up; `stedi report {run_id}` writes its report)")


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
        if sig == signal.SIGINT:  # Ctrl-C before the commit point: one line, status 130, the earlier run
            status, err = interrupt_at(house.path, line, delay)
            now = contents(Lakehouse(house.path))
            if (line, delay) == MOMENTS[-1] and now == later:  # let go at the commit point, and 0.02 s later
                run_id = visible_run(house)  # it is committed: said so, or the command was done already
                assert (status, said(err)) in ((0, [committed(run_id)]), (0, [])), err
            else:
                assert (status, said(err)) == (130, ["stedi: interrupted"]), (line, delay, err)
                assert now == earlier, (line, delay)
            assert not journal_left(house), f"an interrupted run rolls itself back ({line!r} + {delay} s): {err}"
        else:
            seen, status, err = kill_at(house.path, line, delay, sig)
            assert line in seen, (line, seen)
            now = contents(Lakehouse(house.path))  # a reader needs no lock and no recovery
            assert now in (earlier, later), f"a mix of two runs after a kill at {line!r} + {delay} s"
        house.run(consent_policy="any-time")  # the next writer settles the dead run first
        assert contents(house) == earlier, line
        assert orphans(house) == [], f"files left behind after a kill at {line!r}"
        assert not journal_left(house)
    if sig == signal.SIGINT:  # after the commit point (the report is written after it): committed, and said so
        status, err = interrupt_at(house.path, "writing the run's report", 0.0, report="on")
        run_id = visible_run(house)
        assert (status, said(err)) == (0, [committed(run_id)]), err
        assert contents(Lakehouse(house.path)) == later and not journal_left(house)
        house.run(consent_policy="any-time")
        assert orphans(house) == []
    house.run(consent_policy="strict")
    assert contents(house) == later  # a rerun equals an uninterrupted run
    house.run(consent_policy="any-time")
