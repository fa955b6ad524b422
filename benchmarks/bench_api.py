"""What reading a table from Python costs: stedi's API against plain DuckDB, pyiceberg and polars
over the same Parquet files (those of the table's current snapshot).

    python benchmarks/bench_api.py LAKE [--table machine_learning_curated] [--runs 3]

LAKE: a built lake, e.g. bench-data/lake-10m (read only: nothing in it is changed). Tasks:
  whole        the whole table to pandas
  two_columns  customer_key and sensorreadingtime to pandas
  one_customer every column of one customer (customer_key = '...') to pandas
  time_range   every column of 1% of the table's time span (sensorreadingtime BETWEEN ...) to pandas
  head         the first 5 rows
  len          the number of rows
  sql_param    SQL with a bound parameter: the count of one customer's rows
  join_local   a local DataFrame of 1,000 customers' labels joined with the table, to pandas
  history      the table's (stedi: the lake's) list of snapshots (runs)
Contenders: stedi (`Lakehouse.table(...)`: to_pandas(columns=, filter=), head(5), len()); DuckDB
(`read_parquet([...])` with the same projection and WHERE, `.df()`); pyiceberg (`scan(
selected_fields=, row_filter=).to_pandas()`, `scan(limit=5)`, the snapshot summary's row count);
polars (`pl.scan_parquet([...]).filter().select().collect()`: a polars DataFrame, not pandas).
Each sample runs in a fresh Python process: the time is the task's alone (imports and opening
the lake before it are not counted; DuckDB, pandas, pyarrow and pyiceberg are imported first in
every process), the memory is the process's peak RSS (ru_maxrss, imports included: the `nothing`
task shows the baseline). The table shows medians. Not run by the tests; the lead runs it on a quiet
machine (bench-data/lake-10m, rebuilt so that its training table has the sorted layout).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = ("nothing", "whole", "two_columns", "one_customer", "time_range", "head", "len", "sql_param", "join_local",
         "history")
# Tasks a contender has no way of its own to do (a blank cell).
NOT_DONE = {("duckdb", "history"), ("polars", "history")}
CONTENDERS = ("stedi", "duckdb", "pyiceberg", "polars")


def plan(lake: str, table: str) -> dict:
    """What every sample reads: the snapshot's files and metadata, a customer, a time range."""
    import duckdb

    from stedi import Lakehouse
    from stedi.store.iceberg_store import IcebergStore

    house = Lakehouse(lake)
    location = house.committed_locations()[table]
    files = IcebergStore.data_files(table, house.open_table(location))
    con = duckdb.connect()
    key, low, high = con.execute(
        "SELECT (SELECT customer_key FROM read_parquet($f) LIMIT 1 OFFSET (SELECT count(*) // 2 FROM "
        "read_parquet($f))), min(sensorreadingtime), max(sensorreadingtime) FROM read_parquet($f)",
        {"f": files}).fetchone()
    start = low + (high - low) // 2
    labelled = [k for (k,) in con.execute("SELECT DISTINCT customer_key FROM read_parquet($f) ORDER BY 1 LIMIT 1000",
                                          {"f": files}).fetchall()]
    return {"lake": lake, "table": table, "metadata": location, "files": files, "key": key,
            "start": start, "end": start + max((high - low) // 100, 1), "labelled": labelled}


def labels(p: dict) -> "object":
    """The user's own DataFrame: a label for each of 1,000 customers."""
    import pandas as pd

    return pd.DataFrame({"customer_key": p["labelled"], "label": [i % 2 for i in range(len(p["labelled"]))]})


def warm_up() -> None:
    """Import what any contender reads with before the clock starts: a notebook has them loaded."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import pyiceberg.io.pyarrow  # noqa: F401
    import pyiceberg.table  # noqa: F401
    import sqlglot  # noqa: F401


def one(contender: str, task: str, p: dict) -> dict:
    """Do one task once, in this process; its seconds, the rows it gave, and the peak RSS."""
    columns = ["customer_key", "sensorreadingtime"] if task == "two_columns" else None
    where = {"one_customer": f"customer_key = '{p['key']}'",
             "time_range": f"sensorreadingtime BETWEEN {p['start']} AND {p['end']}"}.get(task)
    if contender == "stedi":
        from stedi import Lakehouse

        house = Lakehouse(p["lake"])
        t = house.table(p["table"])

        def join_local() -> object:
            con = house.connect()
            con.register("labels", labels(p))
            return con.execute(f"SELECT * FROM {p['table']} JOIN labels USING (customer_key)").df()

        do = {"head": lambda: t.head(5), "len": lambda: len(t), "history": house.runs, "join_local": join_local,
              "sql_param": lambda: house.query(f"SELECT count(*) AS n FROM {p['table']} WHERE customer_key = ?",
                                               [p["key"]]).column(0)[0].as_py()}.get(task) or (
            lambda: t.to_pandas(columns=columns, filter=where))
    elif contender == "duckdb":
        import duckdb

        con = duckdb.connect()
        listed = "[" + ", ".join(f"'{f}'" for f in p["files"]) + "]"
        select = ", ".join(columns) if columns else "*"
        sql = {"head": f"SELECT * FROM read_parquet({listed}) LIMIT 5",
               "len": f"SELECT count(*) FROM read_parquet({listed})"}.get(task) or (
            f"SELECT {select} FROM read_parquet({listed})" + (f" WHERE {where}" if where else ""))
        do = (lambda: con.execute(sql).fetchone()[0]) if task == "len" else (lambda: con.execute(sql).df())
        if task == "sql_param":
            do = lambda: con.execute(f"SELECT count(*) FROM read_parquet({listed}) WHERE customer_key = ?",  # noqa: E731
                                     [p["key"]]).fetchone()[0]
        elif task == "join_local":
            con.register("own", labels(p))
            do = lambda: con.execute(f"SELECT * FROM read_parquet({listed}) JOIN own USING (customer_key)").df()  # noqa: E731
    elif contender == "pyiceberg":
        from pyiceberg.table import StaticTable

        table = StaticTable.from_metadata(p["metadata"])
        fields = tuple(columns) if columns else ("*",)
        one_key = f"customer_key = '{p['key']}'"
        do = {"head": lambda: table.scan(limit=5).to_pandas(),
              "len": lambda: int(table.current_snapshot().summary["total-records"]),
              "history": lambda: table.snapshots(),
              "sql_param": lambda: len(table.scan(row_filter=one_key, selected_fields=("customer_key",)).to_arrow()),
              "join_local": lambda: table.scan().to_pandas().merge(labels(p), on="customer_key")}.get(task) or (
            lambda: table.scan(selected_fields=fields, row_filter=where or "True").to_pandas())
    else:
        import polars as pl

        scan = pl.scan_parquet(p["files"])
        exprs = {"one_customer": pl.col("customer_key") == p["key"],
                 "time_range": pl.col("sensorreadingtime").is_between(p["start"], p["end"])}
        do = {"head": lambda: scan.head(5).collect(), "len": lambda: scan.select(pl.len()).collect().item(),
              "sql_param": lambda: scan.filter(pl.col("customer_key") == p["key"]).select(pl.len()).collect().item(),
              "join_local": lambda: scan.join(pl.from_pandas(labels(p)).lazy(), on="customer_key").collect()}.get(
            task) or (lambda: (scan.filter(exprs[task]) if task in exprs else scan).select(columns or pl.all()).collect())
    if task == "nothing":
        do = lambda: 0  # noqa: E731
    warm_up()
    started = time.perf_counter()
    result = do()
    seconds = time.perf_counter() - started
    rows = result if isinstance(result, int) else len(result)
    return {"seconds": seconds, "rows": rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3], json.loads(Path(sys.argv[4]).read_text()))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--plan":
        print(json.dumps(plan(sys.argv[2], sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lake")
    parser.add_argument("--table", default="machine_learning_curated")
    parser.add_argument("--runs", type=int, default=3, help="samples of each (default: 3)")
    parser.add_argument("--contenders", nargs="*", default=list(CONTENDERS), choices=CONTENDERS)
    args = parser.parse_args()
    # In a process of its own, as every sample: a child's peak RSS on Linux starts from its parent's
    # (ru_maxrss is kept across exec), so this one imports nothing large.
    p = json.loads(subprocess.run([sys.executable, __file__, "--plan", args.lake, args.table],
                                  capture_output=True, text=True, check=True).stdout)
    plan_file = str(Path(tempfile.mkdtemp(prefix="bench-api-")) / "plan.json")  # 1,000 keys: not an argument
    Path(plan_file).write_text(json.dumps(p))
    print(f"{args.lake}, table {args.table}: {len(p['files'])} file(s); customer {p['key'][:12]}..., "
          f"time range {p['start']}..{p['end']}; medians of {args.runs}\n")
    print("| task | " + " | ".join(f"{c} s | {c} MB" for c in args.contenders) + " | rows |")
    print("|---|" + "---:|---:|" * len(args.contenders) + "---:|")
    for task in TASKS:
        cells, rows = [], set()
        for contender in args.contenders:
            if (contender, task) in NOT_DONE:
                cells.append("– | –")
                continue
            samples = []
            for _ in range(args.runs):
                out = subprocess.run([sys.executable, __file__, "--one", contender, task, plan_file],
                                     capture_output=True, text=True)
                if out.returncode:
                    sys.exit(f"{contender} {task} failed:\n{out.stderr}")
                samples.append(json.loads(out.stdout))
            rows.add(samples[0]["rows"])
            cells.append(f"{statistics.median(s['seconds'] for s in samples):.3f} | "
                         f"{statistics.median(s['peak_mb'] for s in samples):.0f}")
        print(f"| {task} | " + " | ".join(cells) + f" | {'/'.join(map(str, sorted(rows)))} |")


if __name__ == "__main__":
    main()
