"""End-to-end benchmark of `stedi run` against the floor (and, where installed, PySpark).

    python benchmarks/bench_run.py [starter] [1m] [10m] [100m] [--runs N]

starter: the public starter data at ../shared/data/stedi (skipped where absent).
1m / 10m / 100m: generated with `stedi generate` (12,000 / 120,000 / 1,200,000 customers: about
1 / 10 / 100 million accelerometer readings, plus ~30% as many step-trainer readings), cached in
bench-data/. 1m is for trying the harness in a few minutes, not a target's size.

Each contender runs as its own process (process start included), N times; the table
shows medians, rows/s and MB/s of landing JSON, peak RSS, and the ratio to the floor
measured in the same run; contenders take turns, round by round. `stedi run --full` is timed
twice over: "commits" on a new copy of a lake that holds only the landing files (ingest is not
timed), so every table is created and committed, the cost of a lake's run on new data; "rerun"
on that lake right after, the steady state with no new data, where every table is rebuilt and
audited but none whose rows are unchanged is committed. Runs write their report, as by default.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STARTER = ROOT.parent / "shared" / "data" / "stedi"
SIZES = {"starter": None, "1m": 12_000, "10m": 120_000, "100m": 1_200_000}


def size_name(text: str) -> str:
    """A size argument, checked. (Not `choices=`: with `nargs="*"` argparse checks the default list
    against them as one value, and `bench_run.py` with no size failed.)"""
    if text not in SIZES:
        raise argparse.ArgumentTypeError(f"unknown size {text!r}: choose from {', '.join(SIZES)}")
    return text


def timed(cmd: list[str], before: "Callable[[], None] | None" = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process and the children it waited for."""
    if before:
        before()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def landing_for(size: str, work: Path) -> Path | None:
    """The landing data of a size; a generated set is made again when the generator's defaults
    changed since it was made (its `.complete` records them)."""
    if size == "starter":
        return STARTER if STARTER.is_dir() else None
    from stedi.generate import GeneratorRates

    out = work / f"data-{size}"
    made_with = f"--customers {SIZES[size]} --seed 1 {GeneratorRates().as_dict()!r}"
    marker = out / ".complete"
    if not marker.exists() or marker.read_text() != made_with:
        shutil.rmtree(out, ignore_errors=True)
        print(f"generating {size} ({SIZES[size]:,} customers) into {out}", file=sys.stderr)
        subprocess.run([str(BIN / "stedi"), "generate", str(out), "--customers", str(SIZES[size]), "--seed", "1"],
                       check=True)
        marker.write_text(made_with)
    return out


def _link_or_copy(source: str, target: str) -> None:
    """Landing files are only read by a run: linked, not copied (GBs); the catalog and state, copied."""
    if f"{os.sep}landing{os.sep}" in source:
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def measure(size: str, landing: Path, work: Path, runs: int, contenders: list[str], spark_runs: int) -> list[dict]:
    lines = sum(sum(1 for _ in p.open("rb")) for p in landing.glob("*/landing/*.json"))
    mb = sum(p.stat().st_size for p in landing.glob("*/landing/*.json")) / 1e6
    template, lake = work / f"lake-{size}-landing", work / f"lake-{size}"
    # A lake holding only the landing files: each committing run starts from a copy of it, as a
    # lake's first run on new data does (every table created and committed, no old snapshots).
    shutil.rmtree(template, ignore_errors=True)
    subprocess.run([str(BIN / "stedi"), "ingest", str(landing), "--lake", str(template)], check=True,
                   stdout=subprocess.DEVNULL)

    def new_lake() -> None:
        shutil.rmtree(lake, ignore_errors=True)
        shutil.copytree(template, lake, copy_function=_link_or_copy)

    new_lake()
    # --full: every table rebuilt from every landing file, what these contenders compare (a run
    # without it reads only new files: benchmarks/bench_incremental.py measures that).
    stedi = [str(BIN / "stedi"), "run", "--full", "--lake", str(lake)]
    hooks = {"stedi run (commits)": new_lake, "stedi run (commits, report off)": new_lake,
             "stedi run, Spark local[2] (commits)": new_lake}
    commands = {
        "stedi run (commits)": stedi,
        # The report is not one of the guarantees: what a run costs without it (STEDI_REPORT=off).
        "stedi run (commits, report off)": ["env", "STEDI_REPORT=off"] + stedi,
        # The same lake again, after the committing run before it: nothing new, nothing committed.
        "stedi run (rerun)": stedi,
        # Every contender reads the lake's landing files: the same bytes, the same page cache.
        "floor (DuckDB SQL script)": [sys.executable, str(ROOT / "benchmarks/floor.py"), str(lake), str(work / "floor-out")],
        "PySpark local[2]": [sys.executable, str(ROOT / "benchmarks/glue_style_pyspark.py"), str(lake), str(work / "spark-out")],
        # The Spark engine on the PySpark script's local[2]: strict types, numbered quarantine,
        # audits and Iceberg commits on top of the same rules.
        "stedi run, Spark local[2] (commits)": stedi + ["--engine", "spark", "--spark-master", "local[2]"],
    }
    for name in contenders:
        if "Spark" in name:
            # One run unmeasured, for both Spark contenders: the JIT's profile files, and the
            # engine's class archive, which the first Spark run on a machine writes (once).
            timed(commands[name], hooks.get(name))
    if "stedi run (rerun)" in contenders and "stedi run (commits)" not in contenders:
        timed(stedi)  # the rerun needs a run before it
    # Round by round, every contender once in each: drift on a shared machine hits all alike.
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    phases: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
    for round_ in range(max(runs, spark_runs)):
        for name in contenders:
            if round_ < (spark_runs if "Spark" in name else runs):
                samples[name].append(timed(commands[name], hooks.get(name)))
                if name.startswith("stedi run ("):
                    found = _last_run_phases(lake)
                    # The rest of the wall time: process start, imports, the lock, listing, the exit.
                    found["outside the run"] = samples[name][-1][0] - sum(found.values())
                    phases[name].append(found)
    results = []
    for name in contenders:
        wall = statistics.median(s for s, _ in samples[name])
        results.append({"size": size, "contender": name, "wall": wall, "runs": len(samples[name]),
                        "rss": max(r for _, r in samples[name]), "lines": lines, "mb": mb,
                        "phases": _median_phases(phases[name])})
        print(f"{size:8} {name:28} median {wall:7.2f} s of {[round(s, 2) for s, _ in samples[name]]}", file=sys.stderr)
    floor = next(r["wall"] for r in results if r["contender"].startswith("floor"))
    spark = next((r["wall"] for r in results if r["contender"] == "PySpark local[2]"), None)
    for r in results:
        r["ratio"] = r["wall"] / floor
        r["vs_spark"] = r["wall"] / spark if spark else None
    return results


def _last_run_phases(lake: Path) -> dict[str, float]:
    """Seconds by phase of the lake's last run, from its record (runs/<id>.json)."""
    import json

    records = sorted((lake / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(records[-1].read_text()).get("phases", {}) if records else {}


def _median_phases(samples: list[dict[str, float]]) -> dict[str, float]:
    names = [name for sample in samples for name in sample]
    return {name: statistics.median(s.get(name, 0.0) for s in samples) for name in dict.fromkeys(names)}


def phase_table(results: list[dict]) -> str:
    """Medians by phase of each stedi contender, from its runs' records."""
    rows = [r for r in results if r.get("phases")]
    if not rows:
        return ""
    names = list(dict.fromkeys(name for r in rows for name in r["phases"]))
    head = "| size | contender | " + " | ".join(names) + " |\n|---|---|" + "---:|" * len(names) + "\n"
    body = "".join(
        f"| {r['size']} | {r['contender']} | " + " | ".join(f"{r['phases'].get(n, 0.0):.2f}" for n in names) + " |\n"
        for r in rows)
    return "\nSeconds by phase (medians of each phase, which need not add up to the median wall time):\n\n" + head + body


def markdown(results: list[dict]) -> str:
    head = ("| size | contender | runs | wall s (median) | rows/s | MB/s of JSON | peak RSS MB | × floor | × PySpark |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
    body = "".join(
        f"| {r['size']} ({r['lines']:,} lines, {r['mb']:,.0f} MB) | {r['contender']} | {r['runs']} | {r['wall']:.2f} "
        f"| {r['lines'] / r['wall']:,.0f} | {r['mb'] / r['wall']:,.1f} | {r['rss']:,.0f} | {r['ratio']:.2f} "
        f"| {'' if r['vs_spark'] is None else format(r['vs_spark'], '.2f')} |\n"
        for r in results)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return f"Measured {time.strftime('%Y-%m-%d')} on {machine}.\n\n" + head + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", default=["starter"], type=size_name, metavar="SIZE",
                        help="starter, 1m, 10m, 100m (default: starter)")
    parser.add_argument("--runs", type=int, default=5, help="runs per contender (default: 5)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data", help="where data and lakes go")
    parser.add_argument("--no-spark", action="store_true", help="leave out the PySpark script")
    parser.add_argument("--no-rerun", action="store_true", help="leave out the rerun (at 100m, minutes a sample)")
    parser.add_argument("--no-report-off", action="store_true",
                        help="leave out the committing run without its report (its phases still show the report's share)")
    parser.add_argument("--spark-runs", type=int, default=None, help="runs of the PySpark script (default: --runs)")
    args = parser.parse_args()
    args.work.mkdir(exist_ok=True)
    contenders = ["floor (DuckDB SQL script)", "stedi run (commits)"]
    contenders += [] if args.no_report_off else ["stedi run (commits, report off)"]
    contenders += [] if args.no_rerun else ["stedi run (rerun)"]
    if not args.no_spark and (ROOT / "benchmarks/glue_style_pyspark.py").exists():
        try:
            import pyspark  # noqa: F401

            contenders += ["PySpark local[2]", "stedi run, Spark local[2] (commits)"]
        except ImportError:
            print("pyspark not installed: leaving the PySpark script out", file=sys.stderr)
    results = []
    for size in args.sizes:
        landing = landing_for(size, args.work)
        if landing is None:
            print(f"{size}: no data, skipped", file=sys.stderr)
            continue
        results += measure(size, landing, args.work, args.runs, contenders, args.spark_runs or args.runs)
    if results:
        print(markdown(results) + phase_table(results))


if __name__ == "__main__":
    main()
