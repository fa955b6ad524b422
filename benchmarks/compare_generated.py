"""Generated data side by side with the public starter data, as a markdown table.

    python benchmarks/compare_generated.py [--sizes 956 20000] [--seed 1] [--speed 120000]

Computes the figures of `stedi.generate.statistics` on the starter data (../shared/data/stedi)
and on `stedi generate --customers N --seed SEED` (default rates) for each size, and prints one
row per figure: the starter's value, each generated set's, and the tolerance the realism test
(tests/generate/test_realism.py) holds generated data to ("shown": not held, it grows with the
data set). A generated value outside its tolerance is marked with ✗.

`--speed N` also times `stedi generate` of N customers (in a child process, so its peak RSS is
its own): readings (accelerometer and step-trainer lines) a second, wall seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stedi.generate import generate  # noqa: E402
from stedi.generate.statistics import FIGURES, landing_statistics  # noqa: E402

STARTER = ROOT.parent / "shared" / "data" / "stedi"


def _value(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"


def table(sizes: list[int], seed: int) -> str:
    real = landing_statistics(STARTER)
    generated = []
    for customers in sizes:
        with tempfile.TemporaryDirectory(prefix="stedi-compare-") as out:
            generate(out, customers, seed=seed)
            generated.append(landing_statistics(out))
    head = ["figure", "starter data"] + [f"generated, {n:,} customers" for n in sizes] + ["tolerance"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for f in FIGURES:
        cells = [_value(g[f.name]) + ("" if f.within(real[f.name], g[f.name]) else " ✗") for g in generated]
        lines.append("| " + " | ".join([f.label, _value(real[f.name]), *cells, f.describe()]) + " |")
    return "\n".join(lines)


def speed(customers: int, seed: int) -> str:
    code = ("import sys, time; from stedi.generate import generate; t = time.perf_counter(); "
            f"r = generate(sys.argv[1], {customers}, seed={seed}); "
            "print(r.readings, r.accelerometer.lines, time.perf_counter() - t)")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="stedi-speed-") as out:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, out], check=True, capture_output=True, text=True, env=env,
                              cwd=ROOT)  # `-c` puts the working folder first on the path: this checkout
        wall = time.perf_counter() - started
    readings, phone, seconds = done.stdout.split()
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return (f"`stedi generate --customers {customers:,}`: {int(readings):,} readings ({int(phone):,} phone), "
            f"{float(seconds):.1f} s in generate() ({int(readings) / float(seconds) / 1e6:.2f} million readings/s), "
            f"{wall:.1f} s with the interpreter's start, peak RSS {rss:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[956, 20_000], help="customers of each generated set")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speed", type=int, default=0, metavar="CUSTOMERS", help="also time generating this many")
    args = parser.parse_args()
    if not STARTER.is_dir():
        sys.exit(f"{STARTER}: the starter data is not there")
    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; generated with seed {args.seed} and the default rates.\n")
    timing = speed(args.speed, args.seed) if args.speed else ""  # first: the child's peak RSS is its own
    print(table(args.sizes, args.seed))
    if timing:
        print("\n" + timing)


if __name__ == "__main__":
    main()
