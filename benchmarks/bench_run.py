"""End-to-end benchmark of `stedi run` against the floor (and, where installed, PySpark).

    python benchmarks/bench_run.py [starter] [10m] [100m] [--runs N]

starter: the public starter data at ../shared/data/stedi (skipped where absent).
10m / 100m: generated with `stedi generate` (120,000 / 1,200,000 customers: about 10 / 100
million accelerometer readings, plus ~30% as many step-trainer readings), cached in bench-data/.

Each contender runs as its own process (process start included), N times; the table
shows medians, rows/s and MB/s of landing JSON, peak RSS, and the ratio to the floor
measured in the same run. `stedi run --full` is timed twice over, on a new lake that was run once
before (ingest is not timed): "commits" blanks the fingerprints in the lake's state first, so every table
is rebuilt and committed as a new Iceberg snapshot, the cost of a run on new data;
"rerun" is the steady state with no new data, where every table is rebuilt and audited but
none whose rows are unchanged is committed.
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
SIZES = {"starter": None, "10m": 120_000, "100m": 1_200_000}


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
    if size == "starter":
        return STARTER if STARTER.is_dir() else None
    out = work / f"data-{size}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        print(f"generating {size} ({SIZES[size]:,} customers) into {out}", file=sys.stderr)
        subprocess.run([str(BIN / "stedi"), "generate", str(out), "--customers", str(SIZES[size]), "--seed", "1"],
                       check=True)
        (out / ".complete").write_text("")
    return out


def measure(size: str, landing: Path, work: Path, runs: int, contenders: list[str], spark_runs: int) -> list[dict]:
    lines = sum(sum(1 for _ in p.open("rb")) for p in landing.glob("*/landing/*.json"))
    mb = sum(p.stat().st_size for p in landing.glob("*/landing/*.json")) / 1e6
    lake = work / f"lake-{size}"
    # A new lake each time: a lake run many times carries many snapshots, and every commit
    # rewrites the table's metadata, which lists them all (retention keeps a week of them, at
    # least keep_snapshots).
    shutil.rmtree(lake, ignore_errors=True)
    subprocess.run([str(BIN / "stedi"), "ingest", str(landing), "--lake", str(lake)], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([str(BIN / "stedi"), "run", "--lake", str(lake)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)

    def forget_runs() -> None:
        """Make every table of the next run count as changed: it commits all six, as on new data."""
        import json

        state = json.loads((lake / "state.json").read_text())
        for table in state["tables"].values():
            table["fingerprint"] = ""
        (lake / "state.json").write_text(json.dumps(state))

    # --full: every table rebuilt from every landing file, what these contenders compare (a run
    # without it reads only new files: benchmarks/bench_incremental.py measures that).
    stedi = [str(BIN / "stedi"), "run", "--full", "--lake", str(lake)]
    hooks = {"stedi run (commits)": forget_runs, "stedi run, Spark local[2] (commits)": forget_runs}
    commands = {
        "stedi run (commits)": stedi,
        "stedi run (rerun)": stedi,
        # Every contender reads the lake's landing files: the same bytes, the same page cache.
        "floor (DuckDB SQL script)": [sys.executable, str(ROOT / "benchmarks/floor.py"), str(lake), str(work / "floor-out")],
        "PySpark local[2]": [sys.executable, str(ROOT / "benchmarks/glue_style_pyspark.py"), str(lake), str(work / "spark-out")],
        # The Spark engine on the PySpark script's local[2]: strict types, numbered quarantine,
        # audits and Iceberg commits on top of the same rules.
        "stedi run, Spark local[2] (commits)": stedi + ["--engine", "spark", "--spark-master", "local[2]"],
    }
    results = []
    for name in contenders:
        if "Spark" in name:
            # One run unmeasured, for both Spark contenders: the JIT's profile files, and the
            # engine's class archive, which the first Spark run on a machine writes (once).
            timed(commands[name], hooks.get(name))
        samples = [timed(commands[name], hooks.get(name)) for _ in range(spark_runs if "Spark" in name else runs)]
        wall = statistics.median(s for s, _ in samples)
        results.append({"size": size, "contender": name, "wall": wall, "runs": len(samples),
                        "rss": max(r for _, r in samples), "lines": lines, "mb": mb})
        print(f"{size:8} {name:28} median {wall:7.2f} s of {[round(s, 2) for s, _ in samples]}", file=sys.stderr)
    floor = next(r["wall"] for r in results if r["contender"].startswith("floor"))
    spark = next((r["wall"] for r in results if r["contender"] == "PySpark local[2]"), None)
    for r in results:
        r["ratio"] = r["wall"] / floor
        r["vs_spark"] = r["wall"] / spark if spark else None
    return results


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
    parser.add_argument("sizes", nargs="*", default=["starter"], choices=list(SIZES), metavar="SIZE",
                        help="starter, 10m, 100m (default: starter)")
    parser.add_argument("--runs", type=int, default=5, help="runs per contender (default: 5)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data", help="where data and lakes go")
    parser.add_argument("--no-spark", action="store_true", help="leave out the PySpark script")
    parser.add_argument("--spark-runs", type=int, default=None, help="runs of the PySpark script (default: --runs)")
    args = parser.parse_args()
    args.work.mkdir(exist_ok=True)
    contenders = ["floor (DuckDB SQL script)", "stedi run (commits)", "stedi run (rerun)"]
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
        print(markdown(results))


if __name__ == "__main__":
    main()
