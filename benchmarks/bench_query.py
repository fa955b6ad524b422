"""`stedi query "select count(*) from machine_learning_curated"` as a user runs it: the whole
process, against plain DuckDB counting the same files in a process of its own.

    python benchmarks/bench_query.py LAKE [--runs N] [--sql SQL]

Both commands take turns, round by round (the baseline first), so that drift on a shared machine
hits both alike. Prints a markdown table: median wall seconds and median CPU seconds (user +
sys of the child process) of each, and the ratio of stedi's median to the baseline's. The
files are those the lake's state names for machine_learning_curated (read once, untimed).
Runs `python -m stedi` with this checkout first on PYTHONPATH, so a worktree measures its own code.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = "select count(*) from machine_learning_curated"


def curated_files(lake: str) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from stedi import Lakehouse
    from stedi.store.iceberg_store import IcebergStore

    house = Lakehouse(lake)
    table = house.committed("machine_learning_curated")
    if table is None:
        raise SystemExit(f"{lake}: machine_learning_curated is not built; run `stedi run --lake {lake}` first")
    return IcebergStore.data_files("machine_learning_curated", table)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one run of `command`, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sql", default=SQL)
    args = parser.parse_args()
    files = curated_files(args.lake)
    count_sql = "select count(*) from read_parquet([" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    contenders = {
        "DuckDB alone (`import duckdb` + the count over the same files)":
            [sys.executable, "-c", f"import duckdb; print(duckdb.sql({count_sql!r}).fetchall())"],
        f"`stedi query \"{args.sql}\"`": [sys.executable, "-m", "stedi", "query", args.sql, "--lake", args.lake],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, command in contenders.items():
            samples[name].append(timed(command, env))
    baseline = statistics.median(w for w, _ in samples[next(iter(contenders))])
    print(f"\n{args.runs} runs each, {len(files)} file(s) of machine_learning_curated\n")
    print("| command | median wall s | median CPU s (user+sys) | × DuckDB alone (wall) |")
    print("|---|---:|---:|---:|")
    for name, found in samples.items():
        wall = statistics.median(w for w, _ in found)
        cpu = statistics.median(c for _, c in found)
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {wall / baseline:.2f}× |")


if __name__ == "__main__":
    main()
