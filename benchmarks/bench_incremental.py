"""Data over time at scale: a run after a small delivery, and a `stedi forget`, against a full run.

    python benchmarks/bench_incremental.py [10m] [--runs N] [--share 0.01]

On a lake holding the 10m data set (bench_run.py generates it into bench-data/), run once:
- "full run": `stedi run --full`, every table rebuilt from every landing file and committed;
- "run after a 1% delivery": a delivery of new customers with 1% as many readings (`stedi generate`,
  another seed) ingested, then `stedi run`, which reads only the new files;
- "forget one person": `stedi forget EMAIL` of a customer of the first delivery with readings in
  every table: landing rewritten, rows removed, older snapshots expired and their files deleted.

Each measurement is a whole process on a fresh copy of the same lake (landing hard-linked, the
rest copied, then one untimed run to record the copy's change stamps), N times; the table shows
medians and the ratio to the full run of the same session.
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
from bench_run import BIN, ROOT, SIZES, landing_for, timed  # noqa: E402


def fresh_copy(template: Path, target: Path) -> None:
    """A lake as the saved copy left it, at the lake's own path (Iceberg metadata names absolute
    paths: a copy elsewhere is a moved lake, which rebuilds). Landing and Parquet files are
    hard-linked (nothing writes them in place; forget replaces a landing file by a rename), every
    other file copied."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(template.rglob("*")):
        dest = target / path.relative_to(template)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif "/landing/" in str(path) or path.suffix == ".parquet":
            os.link(path, dest)
        else:
            shutil.copy2(path, dest)
    # A run records each landing file's change stamp (a local file's inode change time), which a
    # hard link changes: the copy's first run would rebuild everything. An untimed run settles it.
    subprocess.run([str(BIN / "stedi"), "run", "--lake", str(target)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, "STEDI_REPORT": "off"})


def someone_to_forget(lake: Path) -> str:
    """A curated customer with readings in every table (the median one by email)."""
    out = subprocess.run([str(BIN / "stedi"), "query", "--lake", str(lake), "--format", "json",
                          "SELECT c.email FROM customer_curated c JOIN step_trainer_trusted s USING (serialnumber) "
                          "GROUP BY c.email ORDER BY c.email"], check=True, capture_output=True, text=True).stdout
    emails = [row["email"] for row in json.loads(out)]
    return emails[len(emails) // 2]


def measure(size: str, work: Path, runs: int, share: float = 0.01, forget: bool = True) -> tuple[list[dict], int]:
    """Each measurement's median (and samples, peak RSS) on the size's lake, and the delivery's lines.
    `forget=False` leaves out the forget (bench_targets.py needs only the two runs)."""
    landing = landing_for(size, work)
    assert landing is not None
    delivery = work / f"delivery-{size}-{share}"
    if not (delivery / ".complete").exists():
        shutil.rmtree(delivery, ignore_errors=True)
        customers = max(1, round(SIZES[size] * share))
        subprocess.run([str(BIN / "stedi"), "generate", str(delivery), "--customers", str(customers), "--seed", "77"],
                       check=True, stdout=subprocess.DEVNULL)
        for path in delivery.glob("*/landing/*.json"):  # delivered later: names that sort after the first's
            path.rename(path.with_name("day2-" + path.name))
        (delivery / ".complete").write_text("")
    template, lake = work / f"lake-{size}-saved", work / f"lake-{size}-incremental"
    if not (template / ".complete").exists():
        shutil.rmtree(lake, ignore_errors=True)
        subprocess.run([str(BIN / "stedi"), "ingest", str(landing), "--lake", str(lake)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([str(BIN / "stedi"), "run", "--lake", str(lake)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        fresh_copy(lake, template)
        (template / ".complete").write_text("")
    fresh_copy(template, lake)
    stedi = [str(BIN / "stedi")]

    def with_delivery() -> None:
        fresh_copy(template, lake)
        subprocess.run(stedi + ["ingest", str(delivery), "--lake", str(lake)], check=True, stdout=subprocess.DEVNULL)

    measurements = {
        "full run (stedi run --full)": (stedi + ["run", "--full", "--lake", str(lake)], lambda: fresh_copy(template, lake)),
        f"run after a {share:.0%} delivery": (stedi + ["run", "--lake", str(lake)], with_delivery),
    }
    if forget:
        person = someone_to_forget(lake)
        measurements["forget one person"] = (stedi + ["forget", person, "--lake", str(lake)],
                                             lambda: fresh_copy(template, lake))
    rows = []
    for name, (cmd, before) in measurements.items():
        samples = [timed(cmd, before) for _ in range(runs)]
        wall = statistics.median(s for s, _ in samples)
        rows.append({"name": name, "wall": wall, "rss": max(r for _, r in samples),
                     "samples": [round(s, 2) for s, _ in samples]})
        print(f"{name:32} median {wall:7.2f} s of {rows[-1]['samples']}", file=sys.stderr)
    delivered = sum(1 for p in delivery.glob("*/landing/*.json") for _ in p.open("rb"))
    return rows, delivered


def markdown(size: str, rows: list[dict], delivered: int) -> str:
    """The measurements as a Markdown table, each against the full run of the same session."""
    full = rows[0]["wall"]
    head = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores; "
            f"{size} lake, delivery of {delivered:,} lines.\n\n"
            "| measurement | runs | wall s (median) | samples | peak RSS MB | × full run |\n|---|---:|---:|---|---:|---:|\n")
    return head + "".join(f"| {r['name']} | {len(r['samples'])} | {r['wall']:.2f} | {r['samples']} | {r['rss']:,.0f} "
                          f"| {r['wall'] / full:.3f} |\n" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", nargs="?", default="10m", choices=[s for s in SIZES if s != "starter"])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (default: 3)")
    parser.add_argument("--share", type=float, default=0.01, help="the delivery's size, as a share of the data")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data")
    args = parser.parse_args()
    args.work.mkdir(exist_ok=True)
    rows, delivered = measure(args.size, args.work, args.runs, args.share)
    print(markdown(args.size, rows, delivered), end="")


if __name__ == "__main__":
    main()
