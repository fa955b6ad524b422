"""`stedi run` on a lake in S3 (moto's server on this machine) against the same run on a local lake.

    python benchmarks/bench_s3.py [starter] [10m] [--runs N] [--work DIR] [--engine duckdb|spark]

The landing data are bench_run.py's (starter: ../shared/data/stedi; 10m: generated once into
WORK/data-10m and reused). moto's server starts on 127.0.0.1 on a free port; the same landing
is ingested into a local lake (WORK/s3bench-lake-SIZE) and into s3://stedi-bench/bench-SIZE
(ingests timed once each, reported apart), each lake is run once untimed, then `stedi run`
is timed N times on each lake, alternately (local, S3, local, S3, ...), every run a committing
one: the lake's state.json is rewritten with blank fingerprints before each, so all six tables
are committed as new Iceberg snapshots, as on new data. Each run is its own process
(`python -m stedi`, this checkout's code), start-up included.

From the timestamps of stedi's progress lines on stderr, each run is split into phases, so a
ratio above target can be put down to a phase (medians per phase; they need not add up to the
median total). `--engine spark` times the Spark engine instead (local[*], its JVM started by each
run, hadoop-aws and its AWS SDK from `make jvm`'s cache given as STEDI_SPARK_JARS). moto's CPU seconds per S3 run and its peak RSS are shown too: on this machine
the server competes with the run for the same cores. Linux only for those (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.moto_server, and stedi from this checkout

from bench_run import landing_for, size_name  # noqa: E402  (same data, same cache as bench_run.py)
from tests.moto_server import REGION, MotoServer  # noqa: E402

BUCKET = "stedi-bench"
# The developer's own AWS setup must not leak into the runs (a profile, a per-service endpoint).
AWS_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
             "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_GLUE", "AWS_ENDPOINT_URL_SECRETS_MANAGER")
# (phase, the progress line that starts it); a phase ends where the next present one starts.
PHASES = (
    ("start-up: imports, lock, catalog, journal, engine", None),
    ("reading landing", "reading "),
    ("building tables", "building "),
    ("audits, quarantine, fingerprints", "auditing privacy"),
    ("committing tables", "committing "),
    ("state, run record, engine close, exit", "making the run visible"),
)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (None off Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def stedi(args: list[str], env: dict[str, str]) -> dict:
    """Run `stedi ARGS` as its own process: wall seconds, peak RSS, and when each progress line came."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "stedi", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, text=True)
    lines = []
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            lines.append((time.perf_counter() - started, line.rstrip("\n")))
    except BaseException:  # Ctrl-C reaches stedi too: let it roll its run back before moto stops
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "\n".join(text for _, text in lines[-20:])
        raise SystemExit(f"failed: stedi {' '.join(args)}\n{tail}")
    return {"wall": seconds, "rss": usage.ru_maxrss / 1024, "phases": phases(lines, seconds)}


def phases(lines: list[tuple[float, str]], end: float) -> dict[str, float]:
    """Seconds per phase, from the first progress line that starts each (0 for one not seen)."""
    starts: dict[str, float] = {}
    for name, marker in PHASES:
        if marker is None:
            starts[name] = 0.0
        else:
            found = [t for t, text in lines if text.removeprefix("… ").startswith(marker)]
            if found:
                starts[name] = found[0]
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    bounds = [t for _, t in ordered[1:]] + [end]
    seconds = {name: bound - t for (name, t), bound in zip(ordered, bounds)}
    return {name: seconds.get(name, 0.0) for name, _ in PHASES}


class Lakes:
    """The two lakes of one size, and how to make each one's next run commit every table."""

    def __init__(self, size: str, work: Path, s3) -> None:
        self.local, self.s3_prefix, self.s3 = work / f"s3bench-lake-{size}", f"bench-{size}", s3
        self.uris = {"local": str(self.local), "S3": f"s3://{BUCKET}/{self.s3_prefix}"}

    def forget_runs(self, lake: str) -> None:
        """Blank every table's fingerprint in the lake's state (as bench_run.py does)."""
        key = f"{self.s3_prefix}/state.json"
        if lake == "local":
            state = json.loads((self.local / "state.json").read_text())
        else:
            state = json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        for table in state["tables"].values():
            table["fingerprint"] = ""
        text = json.dumps(state, indent=2) + "\n"
        if lake == "local":
            (self.local / "state.json").write_text(text)
        else:
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())


def measure(size: str, landing: Path, work: Path, runs: int, env: dict[str, str], s3, moto: MotoServer,
            engine: str = "duckdb") -> dict:
    mb = sum(p.stat().st_size for p in landing.glob("*/landing/*.json")) / 1e6
    lakes = Lakes(size, work, s3)
    shutil.rmtree(lakes.local, ignore_errors=True)  # a new lake: old snapshots make every commit slower
    # Each S3 size has its own Glue database: one database records one lake and refuses another.
    env = {**env, "STEDI_GLUE_DATABASE": f"stedi_bench_{size}"}
    ingest, samples = {}, {"local": [], "S3": []}
    for lake, uri in lakes.uris.items():
        print(f"{size}: ingesting into {uri}", file=sys.stderr)
        ingest[lake] = stedi(["ingest", str(landing), "--lake", uri], env)["wall"]
        stedi(["run", "--lake", uri, "--engine", engine], env)  # untimed: the timed runs replace existing tables
    moto_cpu = []
    for i in range(runs):
        for lake, uri in lakes.uris.items():  # alternately, so drift on a shared machine hits both alike
            lakes.forget_runs(lake)
            before = cpu_seconds(moto.process.pid)
            # --full: since incremental runs, a run over files already read has nothing new to do
            samples[lake].append(stedi(["run", "--full", "--lake", uri, "--engine", engine], env))
            after = cpu_seconds(moto.process.pid)
            if lake == "S3" and before is not None and after is not None:
                moto_cpu.append(after - before)
            print(f"{size}: run {i + 1}/{runs} {lake:5} {samples[lake][-1]['wall']:.2f} s", file=sys.stderr)
    result = {"size": size, "engine": engine, "mb": mb, "ingest": ingest, "samples": samples,
              "moto_cpu": statistics.median(moto_cpu) if moto_cpu else None}
    result["median"] = {lake: statistics.median(s["wall"] for s in samples[lake]) for lake in samples}
    result["ratio"] = result["median"]["S3"] / result["median"]["local"]
    return result


def markdown(results: list[dict], moto_rss: float | None) -> str:
    import duckdb
    import moto

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    engine = results[0]["engine"] if results else "duckdb"
    out = [f"Measured {time.strftime('%Y-%m-%d')} on {machine}, the {engine} engine, DuckDB {duckdb.__version__}, "
           f"moto {moto.__version__} (server on 127.0.0.1).\n",
           "| size | lake | ingest s (once) | runs | run s (median) | min | max | peak RSS MB | × local |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        for lake, samples in r["samples"].items():
            walls = [s["wall"] for s in samples]
            out.append(f"| {r['size']} ({r['mb']:,.0f} MB of JSON) | {lake} | {r['ingest'][lake]:.2f} | {len(walls)} "
                       f"| {r['median'][lake]:.2f} | {min(walls):.2f} | {max(walls):.2f} "
                       f"| {max(s['rss'] for s in samples):,.0f} | {r['median'][lake] / r['median']['local']:.2f} |")
    for r in results:
        split = {lake: {name: statistics.median(s["phases"][name] for s in samples) for name, _ in PHASES}
                 for lake, samples in r["samples"].items()}
        out += [f"\nWhere the time goes, {r['size']} (medians per phase, seconds):\n",
                "| phase | local | S3 | S3 − local |", "|---|---:|---:|---:|"]
        out += [f"| {name} | {split['local'][name]:.2f} | {split['S3'][name]:.2f} "
                f"| {split['S3'][name] - split['local'][name]:+.2f} |" for name, _ in PHASES]
        if r["moto_cpu"] is not None:
            out.append(f"\nmoto's server used {r['moto_cpu']:.2f} CPU s per S3 run (median).")
    if moto_rss is not None:
        out.append(f"\nmoto's server peak RSS: {moto_rss:,.0f} MB.")
    return "\n".join(out) + "\n"


def spark_jars() -> str:
    """hadoop-aws and the AWS SDK bundle, as `make jvm` fetched them (jvm/artifacts.txt)."""
    from tests.jvm_cache import cached

    jars = cached("spark-s3")
    if not jars:
        raise SystemExit("hadoop-aws is not in .cache/jvm/spark-s3: run `make jvm` first")
    return ",".join(str(jar) for jar in jars)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", default=["starter"], type=size_name, metavar="SIZE",
                        help="starter, 10m (default: starter)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per lake (default: 3)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="the engine of every run (default: duckdb); spark needs `make jvm`")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data",
                        help="where data and the local lakes go (default: bench-data/, shared with bench_run.py)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    args.work.mkdir(exist_ok=True)
    # A plain `kill` stops moto too: SystemExit unwinds through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    moto = MotoServer.start()
    try:
        import boto3

        aws = moto.environment()
        env = {k: v for k, v in os.environ.items() if k not in AWS_UNSET}
        env.update(aws, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        if args.engine == "spark":
            env["STEDI_SPARK_JARS"] = spark_jars()
        s3 = boto3.client("s3", endpoint_url=aws["AWS_ENDPOINT_URL"], region_name=REGION,
                          aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"])
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        results = []
        for size in args.sizes:
            landing = landing_for(size, args.work)
            if landing is None:
                print(f"{size}: no data, skipped", file=sys.stderr)
                continue
            results.append(measure(size, landing, args.work, args.runs, env, s3, moto, args.engine))
        moto_rss = peak_rss_mb(moto.process.pid)
    finally:
        moto.stop()
    if results:
        print(markdown(results, moto_rss))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
