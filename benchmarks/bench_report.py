"""What the run report costs a run: `stedi run` with its report against the same run without one.

    python benchmarks/bench_report.py [starter] [10m] [--runs N]

For each size, a lake holding only the landing files (ingested once) is copied afresh before
every sample, so each `stedi run` is a first run: it reads every file, builds and commits every
table, and writes its report. "without report" is the same command in a process where the run's
report is switched off (STEDI_REPORT=off: no report, and no background import of what it draws
with): the run as it was before reports. Samples alternate between the two; the table shows
medians, the difference, the ratio, and the median of the run's own "report" phase.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_incremental import fresh_copy  # noqa: E402
from bench_run import BIN, ROOT, SIZES, landing_for, timed  # noqa: E402



def report_phase(lake: Path) -> float:
    """The 'report' phase of the lake's last run, as its record has it."""
    record = sorted((lake / "runs").glob("*.json"))[-1]
    return json.loads(record.read_text()).get("phases", {}).get("report", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", default=["starter"], choices=[s for s in SIZES if s != "100m"])
    parser.add_argument("--runs", type=int, default=5, help="samples of each (default: 5)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        landing = landing_for(size, args.work)
        if landing is None:
            print(f"skipping {size}: no data", file=sys.stderr)
            continue
        template, lake = args.work / f"landing-only-{size}", args.work / f"lake-{size}-report"
        if not (template / ".complete").exists():
            shutil.rmtree(template, ignore_errors=True)
            subprocess.run([str(BIN / "stedi"), "ingest", str(landing), "--lake", str(template)], check=True,
                           stdout=subprocess.DEVNULL)
            (template / ".complete").write_text("")
        run = [str(BIN / "stedi"), "run", "--lake", str(lake)]
        with_cmd, without_cmd = ["env", "STEDI_REPORT=on", *run], ["env", "STEDI_REPORT=off", *run]
        samples: dict[str, list[float]] = {"with": [], "without": []}
        phases = []
        for i in range(args.runs):
            for name, cmd in (("without", without_cmd), ("with", with_cmd))[:: 1 if i % 2 else -1]:
                seconds, _ = timed(cmd, lambda: fresh_copy(template, lake))
                samples[name].append(seconds)
                if name == "with":
                    phases.append(report_phase(lake))
        with_s, without_s = statistics.median(samples["with"]), statistics.median(samples["without"])
        rows.append((size, without_s, with_s, statistics.median(phases), samples))
        print(f"{size}: without {without_s:.2f} s, with {with_s:.2f} s", file=sys.stderr)
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores; "
          f"{args.runs} samples of each, medians.\n")
    print("| data | run without report s | run with report s | added s | × without | report phase s |\n"
          "|---|---:|---:|---:|---:|---:|")
    for size, without_s, with_s, phase, _ in rows:
        print(f"| {size} | {without_s:.2f} | {with_s:.2f} | {with_s - without_s:+.2f} | {with_s / without_s:.3f} "
              f"| {phase:.2f} |")


if __name__ == "__main__":
    main()
