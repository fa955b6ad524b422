"""How a lake grows over days of deliveries, with snapshot retention after every run.

    python benchmarks/bench_growth.py [--days 30] [--customers 200] [--keep-snapshots N] [--csv PATH]

A new lake, then once a "day": `stedi generate` writes a small delivery of new customers (its
own seed, and its own email domain, so no customer comes back), it is ingested under file
names of its own, and `stedi run` brings every table up to date and commits (reading only the
new files where the run is incremental). The lake's keep_days is 0,
so retention applies within the benchmark (the runs are seconds apart, not days); keep_snapshots
is the lake's default unless given. After each run the table records what the lake holds:
landing bytes, the stored tables' data files (Parquet) and metadata files (metadata JSON,
manifest lists, manifests), and what retention expired and deleted. Unreferenced files younger
than retention's margin (an hour) are kept; "kept" counts them.

Runs in this process through the Python API (the numbers are sizes, not times; the run's
seconds are shown for orientation only).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stedi import Lakehouse  # noqa: E402
from stedi.lake import write_config  # noqa: E402
from stedi.generate import generate  # noqa: E402

COLUMNS = ["day", "landing MB", "data MB", "data files", "metadata MB", "metadata files", "snapshots",
           "expired", "deleted", "kept", "run s"]


def delivery(folder: Path, day: int, customers: int) -> Path:
    """A day's delivery: generated, then given this day's email domain and file names (landing
    never takes a different file under a name it holds)."""
    raw = folder / f"raw-{day:02d}"
    generate(raw, customers=customers, seed=day)
    out = folder / f"day-{day:02d}"
    for path in sorted(raw.glob("*/landing/*.json")):
        target = out / path.parent.relative_to(raw) / f"day{day:02d}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes().replace(b"@test.com", f"@day{day:02d}.test.com".encode()))
    shutil.rmtree(raw)
    return out


def measure(house: Lakehouse) -> dict[str, float]:
    """Bytes and files of landing and of every stored table's folders, through the storage layer."""
    lake, storage = house.lake, house.lake.storage
    found = {"landing": 0, "data": 0, "data_files": 0, "metadata": 0, "metadata_files": 0, "snapshots": 0}
    found["landing"] = sum(e.size for source in lake.sources for e in lake.landing_files(source))
    state = lake.state()
    for name in (state.tables if state else {}):
        for kind in ("data", "metadata"):
            entries = storage.files(f"{lake.table_folder(name)}/{kind}", recursive=True)
            found[kind] += sum(e.size for e in entries)
            found[f"{kind}_files"] += len(entries)
        table = house.committed(name)
        found["snapshots"] += len(table.metadata.snapshots) if table else 0
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30, help="deliveries, each ingested and run (default: 30)")
    parser.add_argument("--customers", type=int, default=200, help="new customers per delivery (default: 200)")
    parser.add_argument("--keep-snapshots", type=int, default=None, help="default: the lake's default setting")
    parser.add_argument("--work", type=Path, default=None, help="where the lake and deliveries go (default: a temp folder)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows as CSV here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="stedi-growth-"))
    shutil.rmtree(work / "lake", ignore_errors=True)
    house = Lakehouse(work / "lake", create=True)
    settings = replace(house.lake.config, keep_days=0)
    if args.keep_snapshots:
        settings = replace(settings, keep_snapshots=args.keep_snapshots)
    write_config(house.lake.storage, settings)
    house = Lakehouse(house.path)
    rows = []
    for day in range(1, args.days + 1):
        house.ingest(delivery(work / "deliveries", day, args.customers))
        started = time.perf_counter()
        summary = house.run()
        seconds = time.perf_counter() - started
        size, retention = measure(house), summary.retention or {}
        rows.append([day, size["landing"] / 1e6, size["data"] / 1e6, size["data_files"], size["metadata"] / 1e6,
                     size["metadata_files"], size["snapshots"], sum(retention.get("expired", {}).values()),
                     sum(retention.get("deleted", {}).values()), retention.get("kept_recent", 0), seconds])
        print(f"day {day:2}: {size['data_files']} data files, {size['metadata_files']} metadata files, "
              f"{seconds:.2f} s", file=sys.stderr)
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}: {args.customers} new customers a day, keep_snapshots "
          f"{settings.keep_snapshots}, keep_days {settings.keep_days}.\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---:|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" for v in row) + " |")
    if args.csv:
        with args.csv.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
