"""What a run report shows, gathered from the lake as a run left it: a JSON-ready dict.

The facts are kept inside the report they render (stedi/report/render.py), so a report can be
rendered again later, redacted, or scrubbed by a forget, without the tables as they were.
Every figure comes from the run's own record (runs/<run-id>.json) or from one DuckDB query
over the stored tables' Parquet files at the run's snapshots; aggregates only, except the first
quarantined lines of each reason, which are as delivered (the lake holds them already).
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict
from importlib import metadata
from typing import TYPE_CHECKING

from stedi.audits import PRIVACY_AUDITS, audit_sql
from stedi.landing.sources import SOURCES
from stedi.runs import run_kind

if TYPE_CHECKING:
    from stedi.engines.duckdb_engine import DuckDBEngine
    from stedi.lake import Lake

FORMAT = 1
HISTORY = 12  # runs shown in "rows through the zones" and "run time by phase"
SAMPLES = 3  # quarantined lines shown per reason
SAMPLE_CHARS = 300  # of each: a quarantined line can be megabytes long
REASONS, FILES = 12, 30  # the most frequent reasons and files listed
BINS = 40
DAY_MS = 86_400_000
PACKAGES = ("stedi", "duckdb", "pyarrow", "pyiceberg", "sqlglot", "matplotlib", "jinja2", "boto3", "pyspark")

# Readings per day: (series, table, time column); landing is every accepted line.
DAILY = (
    ("phone · landing", "accelerometer_accepted", "timestamp"),
    ("phone · trusted", "accelerometer_trusted", "timestamp"),
    ("step trainer · landing", "step_trainer_accepted", "sensorreadingtime"),
    ("step trainer · trusted", "step_trainer_trusted", "sensorreadingtime"),
    ("machine_learning_curated", "machine_learning_curated", "sensorreadingtime"),
)
DISTRIBUTIONS = {
    "distance": ("distanceFromObject", "distancefromobject"),
    "magnitude": ("|x, y, z|", "sqrt(x * x + y * y + z * z)"),
}


def from_tables(engine: "DuckDBEngine", rows: dict[str, int]) -> dict:
    """What the report shows of the tables themselves, read through `engine`, where every stored
    table is registered as the run left it; `rows`: each table's rows then."""
    consent, by_day = readings(engine)
    return {
        "rows": rows,
        "quarantine": quarantine(engine),
        "consent": consent,
        "daily": by_day,
        "distributions": distributions(engine),
    }


def gather(lake: "Lake", record: dict, tables: dict) -> dict:
    """The facts of the run `record` (its runs/<id>.json), with `tables` (from_tables)."""
    from stedi.report.lineage import lineage

    graph = lineage()
    return {
        "format": FORMAT,
        "generated_at_ms": int(time.time() * 1000),
        "lake": lake.storage.path(""),
        "run": record,
        "history": history(lake, record),
        "rows": tables["rows"],
        "lineage": {"nodes": [asdict(n) for n in graph.nodes], "edges": [asdict(e) for e in graph.edges]},
        "conservation": conservation(record),
        "quarantine": tables["quarantine"],
        "consent": {"policy": record["consent_policy"], **tables["consent"],
                    "shared_serial_numbers": record.get("shared_serial_numbers", 0),
                    "shared_serial_readings": record.get("shared_serial_readings", 0)},
        "daily": tables["daily"],
        "distributions": tables["distributions"],
        "audits": audits(record),
        "environment": environment(lake, record),
    }


def conservation(record: dict) -> list[dict]:
    """Per source: lines read = accepted + quarantined + erased (a forgotten person's lines).
    Not known of a run whose record was reconstructed."""
    if record.get("reconstructed"):
        return []
    found = []
    for source in SOURCES.values():
        t = next((t for t in record["tables"] if t["name"] == source.landing_table), None)
        if t is None:
            continue
        read, accepted, quarantined, erased = t["rows_in"], t["rows_out"], t["quarantined"], t.get("erased", 0)
        found.append({"source": source.name, "table": source.landing_table, "lines_read": read,
                      "accepted": accepted, "quarantined": quarantined, "erased": erased,
                      "holds": read == accepted + quarantined + erased})
    return found


def history(lake: "Lake", this: dict) -> list[dict]:
    """The runs up to this one (`this`: its record), newest last, as their records tell."""
    from stedi.time_travel import run_ids

    run_id = this["run_id"]
    names = run_ids(lake, [run_id])  # (its record may not be written yet)
    names = names[: names.index(run_id) + 1][-HISTORY:]
    found = []
    for name in names:
        record = this if name == run_id else lake.run_record(name)
        if record is None:
            continue
        tables = {t["name"]: t for t in record.get("tables", [])}
        lines = conservation(record)
        found.append({
            "run_id": name,
            "command": record.get("command", "run"),
            "committed_at_ms": record.get("committed_at_ms", 0),
            "kind": kind(record),
            "seconds": record.get("seconds", 0.0),
            "phases": record.get("phases", {}),
            "lines_read": sum(c["lines_read"] for c in lines),
            "accepted": sum(c["accepted"] for c in lines),
            "quarantined": sum(c["quarantined"] for c in lines),
            "erased": sum(c["erased"] for c in lines),
            "holds": all(c["holds"] for c in lines),
            "totals": {n: t.get("total") for n, t in tables.items()},
        })
    return found


# The report's words for what a run did (stedi.runs.run_kind's, as the API says them).
_REPORT_KIND = {"unknown": "reconstructed", "full": "full rebuild", "incremental": "new files only"}


def kind(record: dict) -> str:
    """What a run did, in two or three words: forget, nothing new, full rebuild, new files only."""
    said = run_kind(record)
    return _REPORT_KIND.get(said, said)


def quarantine(engine: "DuckDBEngine") -> dict:
    """The quarantine table as the run left it: by reason, by file, and each reason's first lines."""
    by_reason = engine.rows(
        "SELECT reason, min(source), count(*) AS lines FROM quarantine GROUP BY reason ORDER BY lines DESC, reason")
    by_file = engine.rows(
        "SELECT file, min(source), count(*) AS lines FROM quarantine GROUP BY file ORDER BY lines DESC, file")
    reasons = [r for r, _, _ in by_reason[:REASONS]]
    samples: dict[str, list[dict]] = {r: [] for r in reasons}
    if reasons:
        for reason, file, line, raw in engine.rows(
                f"SELECT reason, file, line, left(raw, {SAMPLE_CHARS + 1}) FROM ("
                "  SELECT *, row_number() OVER (PARTITION BY reason ORDER BY file, line) AS n FROM quarantine"
                f") WHERE n <= {SAMPLES} ORDER BY file, line"):
            if reason in samples:
                samples[reason].append({"file": file, "line": line, "raw": raw[:SAMPLE_CHARS],
                                        "cut": len(raw) > SAMPLE_CHARS})
    return {
        "total": sum(n for _, _, n in by_reason),
        "reasons": len(by_reason),
        "files": len(by_file),
        "by_reason": [{"reason": r, "source": s, "lines": n, "samples": samples.get(r, [])}
                      for r, s, n in by_reason[:REASONS]],
        "by_file": [{"file": f, "source": s, "lines": n} for f, s, n in by_file[:FILES]],
    }


def readings(engine: "DuckDBEngine") -> tuple[dict, dict]:
    """Customers from landing to curated and the readings consent kept out (or, under 'any-time',
    let in from before it); and the readings per UTC day in each zone. One pass over each table."""
    [(customers, consenting, curated)] = engine.rows(
        "SELECT (SELECT count(DISTINCT email) FROM customer_accepted),"
        " (SELECT count(*) FROM customer_trusted), (SELECT count(*) FROM customer_curated)")
    phone = engine.rows(
        f"SELECT a.timestamp // {DAY_MS} AS day, count(*), count(*) FILTER (WHERE c.email IS NULL),"
        " count(*) FILTER (WHERE a.timestamp < c.sharewithresearchasofdate)"
        " FROM accelerometer_accepted AS a LEFT JOIN customer_trusted AS c ON a.user = c.email GROUP BY day")
    # A serial number's readings count as one consenting customer's only where one holds it.
    steps = engine.rows(
        "WITH holder AS (SELECT serialnumber, count(*) AS holders, min(sharewithresearchasofdate) AS consent"
        "  FROM customer_trusted GROUP BY serialnumber)"
        f" SELECT s.sensorreadingtime // {DAY_MS} AS day, count(*), count(*) FILTER (WHERE h.serialnumber IS NULL),"
        " count(*) FILTER (WHERE h.holders = 1 AND s.sensorreadingtime < h.consent)"
        " FROM step_trainer_accepted AS s LEFT JOIN holder AS h ON s.serialnumber = h.serialnumber GROUP BY day")
    consent = {
        "customers": customers, "consenting": consenting, "curated": curated,
        "phone_readings": sum(r[1] for r in phone), "phone_without_consent": sum(r[2] for r in phone),
        "phone_before_consent": sum(r[3] for r in phone),
        "step_readings": sum(r[1] for r in steps), "step_without_consent": sum(r[2] for r in steps),
        "step_before_consent": sum(r[3] for r in steps),
    }
    counts: dict[str, dict[int, int]] = {series: {} for series, _, _ in DAILY}
    landing = {"accelerometer_accepted": phone, "step_trainer_accepted": steps}
    stored = [(series, table, column) for series, table, column in DAILY if table not in landing]
    union = " UNION ALL ".join(
        f"SELECT '{series}' AS series, {column} // {DAY_MS} AS day, count(*) AS readings FROM {table} GROUP BY day"
        for series, table, column in stored)
    found = [(series, day, n) for series, table, _ in DAILY if table in landing for day, n, _, _ in landing[table]]
    for series, day, n in found + engine.rows(union):
        if day is not None:
            counts[series][int(day)] = int(n)
    days = sorted({d for by_day in counts.values() for d in by_day})
    return consent, {"days": [_iso_day(d) for d in days],
                     "series": {s: [by_day.get(d, 0) for d in days] for s, by_day in counts.items()}}


def _iso_day(day: int) -> str:
    import datetime as dt

    try:
        return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
    except OverflowError:  # a reading dated beyond year 9999
        return f"day {day}"


def distributions(engine: "DuckDBEngine") -> dict:
    """Histograms over machine_learning_curated, in BINS equal bins each, with their summaries
    (the bins need the range first). The median is
    DuckDB's approx_quantile (a t-digest): exact enough to read, in constant memory at any size."""
    values = ", ".join(f"({expr})::DOUBLE AS {name}" for name, (_, expr) in DISTRIBUTIONS.items())
    source = f"(SELECT {values} FROM machine_learning_curated)"
    summary = ", ".join(f"count({n}), min({n}), max({n}), avg({n}), approx_quantile({n}, 0.5)" for n in DISTRIBUTIONS)
    [stats] = engine.rows(f"SELECT {summary} FROM {source}")
    found, bins = {}, []
    for i, (name, (label, _)) in enumerate(DISTRIBUTIONS.items()):
        n, low, high, mean, median = stats[5 * i: 5 * i + 5]
        width = (high - low) / BINS if n and high > low else 1.0
        found[name] = {"label": label, "n": int(n), "min": low, "max": high, "mean": mean, "median": median,
                       "edges": [low + b * width for b in range(BINS + 1)] if n else [], "counts": [0] * BINS if n else []}
        if n:  # (a GROUP BY per distribution counts faster than histogram() of both in one pass)
            bins.append(f"SELECT '{name}', least(floor(({name} - {low!r}) / {width!r}), {BINS - 1})::INTEGER AS b,"
                        f" count(*) FROM {source} WHERE {name} IS NOT NULL GROUP BY b")
    if bins:
        for name, b, c in engine.rows(" UNION ALL ".join(bins)):
            found[name]["counts"][int(b)] = int(c)
    return found


def audits(record: dict) -> list[dict]:
    """Each privacy audit of the run with what it checks (its SQL's first comment line)."""
    found = {a["name"]: a for a in record.get("audits", [])}
    return [{"name": name, "checks": _first_comment(audit_sql(name)),
             "offending": found[name]["offending"] if name in found else None,
             "ran": name in found, "proved": bool(found.get(name, {}).get("proved"))} for name in PRIVACY_AUDITS]


def _first_comment(sql: str) -> str:
    """What an audit looks for: its leading comment up to "Zero rows = pass" (the rest says how)."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines).split(" Zero rows = pass.")[0]


def environment(lake: "Lake", record: dict) -> dict:
    """The engine, policy, versions and settings of the run (never the pseudonym key)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    settings = {k: v for k, v in asdict(lake.config).items() if k != "pseudonym_key"}
    return {"engine": record.get("engine", "duckdb"), "consent_policy": record["consent_policy"],
            "versions": versions, "settings": settings,
            "catalog": "AWS Glue Data Catalog" if lake.storage.uri("").startswith("s3://") else "SQLite in the lake",
            "platform": f"{platform.system()} {platform.machine()}, {_cores()} cores"}


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
