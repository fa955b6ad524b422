"""The run report drawn in a second process, started as the run starts.

Importing matplotlib and drawing the first chart cost half a second of interpreter time; in the
run's own process that time adds to the run (its work holds the interpreter most of the time on
small data). A worker process does it on the other core while the run works, then waits for the
facts and answers with the page. If the worker cannot start or fails, the run draws the page
itself: a report is never lost to the worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from stedi.commit.state import LakeState
    from stedi.lake import Lake
    from stedi.report.collect import Prefetch


class ReportWorker:
    def __init__(self, process: subprocess.Popen | None):
        self._process = process
        self._prefetch: "Prefetch | None" = None

    def prefetch(self, lake: "Lake", built: list, last: "LakeState") -> None:
        """Read a full run's tables for the report while it commits (stedi/report/collect.py)."""
        from stedi.report.collect import Prefetch

        self._prefetch = Prefetch(lake, built, last)

    def facts(self, lake: "Lake", record: dict) -> dict:
        """The facts of the run that just committed: from what was read while it committed, else
        from its committed tables."""
        from stedi.report.collect import collect
        from stedi.report.facts import gather

        prefetched, self._prefetch = (self._prefetch.result() if self._prefetch else None), None
        return gather(lake, record, prefetched) if prefetched else collect(lake, record)

    @classmethod
    def start(cls) -> "ReportWorker":
        """A worker importing what it draws with, now (it holds no lock and writes nothing)."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # above stedi/
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        try:
            process = subprocess.Popen([sys.executable, "-m", "stedi.report.worker"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except OSError:
            process = None
        return cls(process)

    def render(self, facts: dict, say: Callable[[str], None]) -> str:
        """The page for `facts`, drawn by the worker (here if it failed)."""
        from stedi.report.render import render, to_json

        if self._process is not None:
            process, self._process = self._process, None
            out, err = process.communicate(to_json(facts).encode("utf-8"))
            if process.returncode == 0 and out:
                return out.decode("utf-8")
            problem = (err.decode("utf-8", "replace").strip().splitlines() or ["no page"])[-1]
            say(f"the report's worker failed ({problem}): drawing the report here")
        return render(facts)

    def close(self) -> None:
        """Stop a worker that was not asked for a page (the run failed, or wrote no report)."""
        if self._prefetch is not None:  # a run that failed while committing: let its reads end
            self._prefetch.result()
            self._prefetch = None
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


def main() -> int:
    # Ctrl-C reaches the whole process group: the run decides, and stops this worker itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)  # the run's own work (its engine's threads) first: this one takes what they leave
    from stedi.report.render import render, warm_up

    warm_up()
    data = sys.stdin.buffer.read()
    if not data:  # the run ended without a report to draw
        return 0
    sys.stdout.buffer.write(render(json.loads(data)).encode("utf-8"))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the run waits for this process to end: tearing down matplotlib and numpy takes long


if __name__ == "__main__":
    sys.exit(main())
