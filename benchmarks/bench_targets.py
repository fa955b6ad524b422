"""Issue "Speed"'s six targets, each against a baseline measured in the same run (`make bench`).

    python benchmarks/bench_targets.py [SIZE ...] [--runs N] [--starter-runs N] [--no-spark] [--work DIR]
    python benchmarks/bench_targets.py --summary [--work DIR]

SIZE: starter, 1m, 10m, 100m (default: starter 10m). Each row of the issue's table:

1. `stedi query "select count(*) from machine_learning_curated"` on the starter lake, whole
   process, against a plain DuckDB process counting the same Parquet files (target ≤ 0.3 s);
2. `stedi run` on a new starter lake (committing, report on) against the floor, medians of 5 (≤ 5×);
3. the same at 10M readings (≤ 1.5×);
4. the same at 100M, and its peak RSS (≤ 1.75×, < 4 GB): only with 100m among the sizes;
5. the Spark engine (`--engine spark --spark-master local[2]`, committing) against the Glue-style
   PySpark script at 10M (≤ 1.0×): needs pyspark and Java 17;
6. a run after a 1% delivery against a full run, at 10M (≤ 0.10×).

Rows 2–5 are bench_run.py's contenders (taking turns, round by round), row 6 bench_incremental.py's.
Rows 3, 5 and 6 run at 10m, or at 1m when 10m is not asked for (to try the harness; such a row is
marked as measured at another size, never as met). Each row is written to WORK/targets.json as
soon as it is measured; the detail tables go to stdout as they come; the last thing printed, and
written to WORK/targets.md, is the summary: row, figure, baseline, ratio, target, met.
`--summary` prints that summary again from WORK/targets.json (`make bench` ends with it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_incremental  # noqa: E402
from bench_run import BIN, ROOT, STARTER, landing_for, markdown, measure, phase_table, size_name, timed  # noqa: E402

FLOOR, COMMITS = "floor (DuckDB SQL script)", "stedi run (commits)"
PYSPARK, SPARK_ENGINE = "PySpark local[2]", "stedi run, Spark local[2] (commits)"
QUERY = "select count(*) from machine_learning_curated"
GB, PEAK_GB = 1e9, 4.0  # row 4: peak RSS under 4·10⁹ bytes
# (row, what, the size the target is set at, target as written, the bound): ratio ≤ bound, or seconds for row 1.
TARGETS = (
    (1, f'`stedi query "{QUERY}"`, whole process', "starter", "≤ 0.3 s", 0.3),
    (2, "`stedi run` on a new starter lake, committing, report on", "starter", "≤ 5×", 5.0),
    (3, "`stedi run`, committing, report on", "10m", "≤ 1.5×", 1.5),
    (4, "`stedi run`, committing, report on; peak RSS", "100m", "≤ 1.75×, peak < 4 GB", 1.75),
    (5, "Spark engine, local[2], committing", "10m", "≤ 1.0×", 1.0),
    (6, "a run after a 1% delivery", "10m", "≤ 0.10×", 0.10),
)


def bound(number: int) -> float:
    """A row's target: the highest ratio (row 1: seconds) that meets it."""
    return TARGETS[number - 1][4]


def row(number: int, size: str | None = None, figure: str = "", baseline: str = "", ratio: float | None = None,
        met: bool | None = None, note: str = "") -> dict:
    """One row of the summary; `met` is None where the row was not measured at its target's size."""
    _, what, target_size, target, _ = TARGETS[number - 1]
    if size is not None and size != target_size:
        elsewhere = f"measured at {size}, the target is at {target_size}: not judged"
        met, note = None, f"{note}; {elsewhere}" if note else elsewhere
    return {"row": number, "what": what, "size": size or target_size, "figure": figure, "baseline": baseline,
            "ratio": ratio, "target": target, "met": met, "note": note}


def summary(rows: list[dict], measured: str) -> str:
    """The one table `make bench` ends with, to paste into docs/benchmarks.md."""
    head = (f"{measured}\n\n| # | what | size | figure | baseline (same run) | ratio | target | met |\n"
            "|---:|---|---|---:|---:|---:|---|---|\n")
    verdict = {True: "**met**", False: "**not met**", None: "–"}
    body = "".join(
        f"| {r['row']} | {r['what']} | {r['size']} | {r['figure'] or '–'} | {r['baseline'] or '–'} "
        f"| {'–' if r['ratio'] is None else format(r['ratio'], '.2f') + '×'} | {r['target']} "
        f"| {verdict[r['met']]}{' (' + r['note'] + ')' if r['note'] else ''} |\n"
        for r in rows)
    return head + body


def spark_missing() -> str | None:
    """Why the Spark rows cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark not installed (`make .venv/.spark-installed-stamp`)"
    from stedi.engines.spark_jvm import require_java
    from stedi.errors import StediError

    try:
        require_java()
    except StediError as error:
        return str(error)
    return None


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def query_row(lake: Path, runs: int) -> dict:
    """Row 1: the whole `stedi query` process against a DuckDB process that counts the table's current
    Parquet files, named from the lake's state.json (found once, untimed); both must count alike."""
    from pyiceberg.table import StaticTable

    location = json.loads((lake / "state.json").read_text())["tables"]["machine_learning_curated"]["metadata_location"]
    tasks = list(StaticTable.from_metadata(location).scan().plan_files())
    if any(task.delete_files for task in tasks):
        raise SystemExit(f"{lake}: machine_learning_curated has delete files; the DuckDB baseline cannot count it")
    files = [task.file.file_path.removeprefix("file://") for task in tasks]
    # The list as a literal: binding it as a parameter imports pandas and numpy (0.45 s against 0.1 s).
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    floor = [sys.executable, "-c", "import duckdb, sys; print(duckdb.sql(sys.argv[1]).fetchone()[0])",
             f"SELECT count(*) FROM read_parquet({listed})"]
    stedi = [str(BIN / "stedi"), "query", "--lake", str(lake), QUERY]
    counted = subprocess.run(stedi[:-1] + ["--format", "json", QUERY], check=True, capture_output=True, text=True).stdout
    by_duckdb = int(subprocess.run(floor, check=True, capture_output=True, text=True).stdout)
    answer = list(json.loads(counted)[0].values())
    if answer != [by_duckdb]:
        raise SystemExit(f"row 1: stedi query counted {answer}, DuckDB over the table's current files {by_duckdb}: "
                         f"the baseline would not read what the query reads ({lake})")
    samples: dict[str, list[float]] = {"stedi": [], "floor": []}
    for _ in range(runs):  # in turns, as bench_run.py's contenders
        samples["stedi"].append(timed(stedi)[0])
        samples["floor"].append(timed(floor)[0])
    figure, baseline = statistics.median(samples["stedi"]), statistics.median(samples["floor"])
    print(f"row 1: stedi query {[round(s, 3) for s in samples['stedi']]}, "
          f"DuckDB {[round(s, 3) for s in samples['floor']]} ({by_duckdb:,} rows)", file=sys.stderr)
    return row(1, "starter", seconds(figure), f"{seconds(baseline)} (DuckDB alone)",
               figure / baseline, figure <= bound(1), f"median of {runs}")


def run_rows(size: str, results: list[dict]) -> list[dict]:
    """Rows 2–5 from one bench_run.py measurement of a size."""
    by_name = {r["contender"]: r for r in results}
    floor, commits = by_name[FLOOR], by_name[COMMITS]
    figure, baseline = f"{commits['wall']:.2f} s", f"{floor['wall']:.2f} s (floor)"
    median_of = f"median of {commits['runs']}"
    if size == "starter":
        return [row(2, size, figure, baseline, commits["ratio"], commits["ratio"] <= bound(2), median_of)]
    if size == "100m":
        peak_gb = commits["rss"] * 2**20 / GB
        return [row(4, size, f"{figure}, peak {peak_gb:.2f} GB", baseline, commits["ratio"],
                    commits["ratio"] <= bound(4) and peak_gb < PEAK_GB, median_of)]
    rows = [row(3, size, figure, baseline, commits["ratio"], commits["ratio"] <= bound(3), median_of)]
    if SPARK_ENGINE in by_name:
        spark, script = by_name[SPARK_ENGINE], by_name[PYSPARK]
        rows.append(row(5, size, f"{spark['wall']:.2f} s", f"{script['wall']:.2f} s (PySpark script)",
                        spark["vs_spark"], spark["vs_spark"] <= bound(5), f"median of {spark['runs']}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", default=["starter", "10m"], type=size_name, metavar="SIZE",
                        help="starter, 1m, 10m, 100m (default: starter 10m)")
    parser.add_argument("--runs", type=int, default=3, help="samples per contender (default: 3)")
    parser.add_argument("--starter-runs", type=int, default=5, help="samples of row 2, as the issue asks (default: 5)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data", help="where data and lakes go")
    parser.add_argument("--no-spark", action="store_true", help="leave out row 5 (minutes of JVM runs)")
    parser.add_argument("--summary", action="store_true", help="print the last summary again (WORK/targets.json)")
    args = parser.parse_args()
    saved = args.work / "targets.json"
    if args.summary:
        if not saved.exists():
            raise SystemExit(f"{saved}: no targets measured yet; run `make bench`")
        found = json.loads(saved.read_text())
        print("\n" + summary(found["rows"], found["measured"]), end="")
        return
    sizes = args.sizes
    args.work.mkdir(parents=True, exist_ok=True)
    measured = (f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.uname().machine}, {os.cpu_count()} cores, "
                f"load average {os.getloadavg()[0]:.1f} at the start; sizes: {' '.join(sizes)}.")
    rows = {n: row(n, note="not measured") for n, *_ in TARGETS}
    main_size = next((s for s in ("10m", "1m") if s in sizes), None)
    without_spark = ("--no-spark given" if args.no_spark else spark_missing()) if main_size else None
    if main_size is None:
        for number in (3, 5, 6):
            rows[number]["note"] = "not measured: 10m is not among the sizes"
    if "100m" not in sizes:
        rows[4]["note"] = "not measured: opt-in, SIZES=\"starter 10m 100m\" (about 20 min more, plus generating)"

    def save() -> None:
        saved.write_text(json.dumps({"measured": measured, "rows": list(rows.values())}, indent=1))

    def update(*found: dict) -> None:
        rows.update({r["row"]: r for r in found})
        save()

    save()  # a summary from an earlier session must not pass for this one's
    for size in [s for s in ("starter", main_size, "100m") if s in sizes]:
        landing = landing_for(size, args.work)
        if landing is None:
            note = f"skipped: no starter data at {STARTER} (the public STEDI data)"
            print(f"{size}: {note}", file=sys.stderr)
            update(row(1, note=note), row(2, note=note))
            continue
        contenders = [FLOOR, COMMITS]
        if size == main_size and not without_spark:
            contenders += [PYSPARK, SPARK_ENGINE]
        runs = args.starter_runs if size == "starter" else args.runs
        results = measure(size, landing, args.work, runs, contenders, runs)
        print(markdown(results) + phase_table(results), flush=True)
        update(*run_rows(size, results))
        if size == "starter":
            update(query_row(args.work / "lake-starter", args.runs))
        if size == main_size:
            if without_spark:
                update(row(5, size, note=f"skipped: {without_spark}"))
            found, delivered = bench_incremental.measure(size, args.work, args.runs, forget=False)
            print(bench_incremental.markdown(size, found, delivered), flush=True)
            full, delivery = found[0]["wall"], found[1]["wall"]
            update(row(6, size, f"{delivery:.2f} s", f"{full:.2f} s (full run)", delivery / full, delivery / full <= bound(6),
                       f"median of {args.runs}; {delivered:,} lines delivered"))
    table = summary(list(rows.values()), measured)
    (args.work / "targets.md").write_text(table)
    print("\n" + table, end="")


if __name__ == "__main__":
    main()
