"""The figures that say how real a STEDI landing delivery looks, computed the same way on the
public starter data and on generated data (``landing_statistics(root)``).

``root`` holds ``customer/landing/*.json``, ``accelerometer/landing/*.json`` and
``step_trainer/landing/*.json``; files are read in name order, lines in file order. Lines that
are not a complete record (malformed, or missing a required field) are left out. A phone
"block" is a run of consecutive lines (across files) of one user; a customer's readings are
matched to its step trainer by serial number (only serial numbers held by one customer: the
readings under a shared one cannot be attributed). Parquet is written by DuckDB with zstd.
``FIGURES`` names every figure with the tolerance within which generated data must match the
starter data (``within``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

_COLUMNS = {
    "customer": {"customerName": "VARCHAR", "email": "VARCHAR", "birthDay": "VARCHAR", "serialNumber": "VARCHAR",
                 "registrationDate": "BIGINT", "lastUpdateDate": "BIGINT", "shareWithResearchAsOfDate": "BIGINT"},
    "accelerometer": {"user": "VARCHAR", "timestamp": "BIGINT", "x": "DOUBLE", "y": "DOUBLE", "z": "DOUBLE"},
    "step_trainer": {"sensorReadingTime": "BIGINT", "serialNumber": "VARCHAR", "distanceFromObject": "BIGINT"},
}
_REQUIRED = {"customer": ("email", "serialNumber", "registrationDate", "lastUpdateDate"),
             "accelerometer": tuple(_COLUMNS["accelerometer"]), "step_trainer": tuple(_COLUMNS["step_trainer"])}
_NAME = re.compile(r"(customer|accelerometer|step_trainer)-\d{13}\.json")


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    tolerance: float | None  # None: shown, not held (it depends on the data set's size)
    relative: bool = False  # tolerance as a share of the real value, else absolute

    def within(self, real: float, generated: float) -> bool:
        if self.tolerance is None:
            return True
        bound = self.tolerance * abs(real) if self.relative else self.tolerance
        return abs(generated - real) <= bound + 1e-9

    def describe(self) -> str:
        if self.tolerance is None:
            return "shown"
        return f"±{self.tolerance:.0%}" if self.relative else f"±{self.tolerance:g}"


FIGURES = (
    # Volumes and values
    Figure("customers", "customers", None),
    Figure("customer_lines_per_customer", "customer lines per customer (re-sends: 5% by default)", 0.08),
    Figure("phone_per_customer", "phone readings per customer, mean", 0.03, True),
    Figure("phone_per_customer_min", "phone readings per customer, fewest", 0.10, True),
    Figure("phone_per_customer_max", "phone readings per customer, most", 0.10, True),
    Figure("ms_per_customer", "phone milliseconds per customer, mean", 0.02, True),
    Figure("ms_per_customer_spread", "phone milliseconds per customer, most - fewest", 3),
    Figure("phone_per_ms", "phone readings per (customer, millisecond)", 0.03, True),
    Figure("duplicate_phone_lines", "phone lines that repeat another line exactly", 0.002),
    Figure("xyz_values", "distinct x, y, z values", 0),
    Figure("step_per_customer", "step-trainer readings per customer (at its phone ms), mean", 0.03, True),
    Figure("step_per_customer_spread", "step-trainer readings per customer (at its phone ms), most - fewest", 3),
    Figure("step_at_own_phone_ms", "step-trainer readings at a phone millisecond of their customer", 0.002),
    Figure("distance_mean", "distanceFromObject, mean (cm)", 0.02, True),
    # Consent
    Figure("research_consent", "customers with research consent", 0.05),
    Figure("consent_before_first_reading", "consenting customers: consent before the first reading", 0.05),
    Figure("consent_after_last_reading", "consenting customers: consent after the last reading", 0.03),
    Figure("consent_at_registration", "consenting customers: consent = registrationDate", 0.03),
    Figure("registration_after_first_reading", "customers registered after their first reading", 0.05),
    Figure("readings_before_consent", "consenting customers' phone readings before consent", 0.04),
    # Timing
    Figure("fixed_period", "customers with one fixed period between readings", 0.002),
    Figure("period_min_s", "period between a customer's readings, shortest (s)", 0.2),
    Figure("period_max_s", "period between a customer's readings, longest (s)", 0.2),
    Figure("span_minutes", "minutes from the first reading to the last", None),
    Figure("users_per_minute", "customers reading in the same minute (median over readings)", 0.25, True),
    Figure("cross_customer_ms", "step-trainer readings at a millisecond another customer uses", 0.025),
    Figure("max_customers_per_ms", "most customers in one millisecond", 2),
    Figure("ms_3plus_per_1000", "milliseconds with 3 or more customers, per 1,000 customers", None),
    # Customer fields
    Figure("old_birthday", "birthdays before 1900", 0.03),
    Figure("three_digit_year", "birthdays with a three-digit year (993-01-01)", 0.02),
    Figure("birthday_jan_1", "birthdays on 01-01", 0.002),
    Figure("distinct_names", "distinct names per customer", 0.002),
    Figure("spaced_customer_lines", 'customer lines written with ": " and ", "', 0.002),
    # Files and order
    Figure("lines_per_file", "lines per file, most", 0),
    Figure("epoch_file_names", "files named <source>-<epoch ms>.json", 0),
    Figure("phone_lines_per_block", "phone lines per block of one customer, mean", 0.10, True),
    Figure("blocks_per_customer", "phone blocks per customer, mean", 0.10, True),
    Figure("descending_in_block", "consecutive lines of a block with timestamps descending", 0.002),
    Figure("next_block_next_customer", "blocks followed by the next customer's block", 0.04),
    Figure("step_in_phone_order", "step-trainer lines in the order of their first phone reading", 0.002),
    Figure("parquet_bytes_per_phone_row", "Parquet bytes per phone row, in file order", 0.15, True),
)


def landing_statistics(root: Path | str) -> dict[str, float]:
    """Every figure of ``FIGURES`` (by name) for the landing files under ``root``."""
    root = Path(root)
    con = duckdb.connect()
    try:
        files = {}
        for source in _COLUMNS:
            files[source] = sorted((root / source / "landing").glob("*.json"))
            con.register(source, _read(con, source, files[source]))
        out = _volumes(con) | _consent(con) | _timing(con) | _customer_fields(con, files["customer"])
        out |= _files_and_order(con, files)
        return {f.name: float(out[f.name]) for f in FIGURES}
    finally:
        con.close()


def _read(con: duckdb.DuckDBPyConnection, source: str, paths: list[Path]) -> pa.Table:
    """The complete records of a source in file order, with their position ``pos``."""
    columns = "{" + ", ".join(f"'{k}': '{t}'" for k, t in _COLUMNS[source].items()) + "}"
    keep = " AND ".join(f'"{k}" IS NOT NULL' for k in _REQUIRED[source])
    tables = [con.execute(f"SELECT * FROM read_json(?, format='newline_delimited', columns={columns}, "
                          f"ignore_errors=true) WHERE {keep}", [str(p)]).to_arrow_table() for p in paths]
    if not tables:
        raise FileNotFoundError(f"no {source} landing files (*.json) under the root")
    table = pa.concat_tables(tables)
    return table.append_column("pos", pa.array(range(len(table)), pa.int64()))


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, float]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return {k: (0.0 if v is None else float(v)) for k, v in zip(names, cursor.fetchone())}


_VIEWS = """
CREATE OR REPLACE TEMP VIEW first_record AS
  SELECT * FROM customer QUALIFY row_number() OVER (PARTITION BY email ORDER BY pos) = 1;
CREATE OR REPLACE TEMP VIEW holder AS  -- serial numbers held by one customer, and who
  SELECT serialNumber, any_value(email) AS email FROM first_record GROUP BY serialNumber HAVING count(*) = 1;
CREATE OR REPLACE TEMP VIEW own_step AS  -- step-trainer readings that can be attributed
  SELECT s.*, h.email FROM step_trainer s JOIN holder h USING (serialNumber);
CREATE OR REPLACE TEMP VIEW tick AS
  SELECT "user", "timestamp" AS ts, count(*) AS readings, min(pos) AS first_pos
  FROM accelerometer GROUP BY ALL;
CREATE OR REPLACE TEMP VIEW per_user AS
  SELECT "user", sum(readings) AS readings, count(*) AS ms, min(ts) AS first_ts, max(ts) AS last_ts
  FROM tick GROUP BY ALL;
"""


def _volumes(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    con.execute(_VIEWS)
    out = _one(con, """SELECT (SELECT count(*) FROM first_record) AS customers,
        (SELECT count(*) FROM customer) / (SELECT count(*) FROM first_record) AS customer_lines_per_customer,
        avg(readings) AS phone_per_customer, min(readings) AS phone_per_customer_min,
        max(readings) AS phone_per_customer_max, avg(ms) AS ms_per_customer,
        max(ms) - min(ms) AS ms_per_customer_spread, sum(readings) / sum(ms) AS phone_per_ms FROM per_user""")
    out |= _one(con, """SELECT 1 - (SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (pos) FROM accelerometer))
        / count(*) AS duplicate_phone_lines,
        (SELECT count(DISTINCT v) FROM (SELECT unnest([x, y, z]) AS v FROM accelerometer)) AS xyz_values
        FROM accelerometer""")
    # Counted at the customer's own phone milliseconds: a serial number that looks held by one
    # customer may be shared with one whose record was malformed.
    out |= _one(con, """SELECT avg(n) AS step_per_customer, max(n) - min(n) AS step_per_customer_spread FROM
        (SELECT count(*) AS n FROM own_step s JOIN tick t ON t."user" = s.email AND t.ts = s.sensorReadingTime
         GROUP BY s.email)""")
    out |= _one(con, """SELECT avg((t.ts IS NOT NULL)::INT) AS step_at_own_phone_ms FROM own_step s
        LEFT JOIN tick t ON t."user" = s.email AND t.ts = s.sensorReadingTime""")
    out |= _one(con, "SELECT avg(distanceFromObject) AS distance_mean FROM step_trainer")
    return out


def _consent(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    out = _one(con, """SELECT avg((shareWithResearchAsOfDate IS NOT NULL)::INT) AS research_consent
        FROM first_record""")
    out |= _one(con, """SELECT avg((c < first_ts)::INT) AS consent_before_first_reading,
        avg((c > last_ts)::INT) AS consent_after_last_reading,
        avg((c = registrationDate)::INT) AS consent_at_registration FROM
        (SELECT shareWithResearchAsOfDate AS c, * FROM first_record JOIN per_user u ON u."user" = email)
        WHERE c IS NOT NULL""")
    out |= _one(con, """SELECT avg((registrationDate > first_ts)::INT) AS registration_after_first_reading
        FROM first_record JOIN per_user u ON u."user" = email""")
    out |= _one(con, """SELECT avg((a."timestamp" < f.shareWithResearchAsOfDate)::INT) AS readings_before_consent
        FROM accelerometer a JOIN first_record f ON f.email = a."user"
        WHERE f.shareWithResearchAsOfDate IS NOT NULL""")
    return out


def _timing(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    out = _one(con, """SELECT avg((periods = 1)::INT) AS fixed_period, min(period) / 1000 AS period_min_s,
        max(period) / 1000 AS period_max_s FROM (SELECT "user", count(DISTINCT gap) AS periods,
        min(gap) AS period FROM (SELECT "user", ts - lag(ts) OVER (PARTITION BY "user" ORDER BY ts) AS gap
        FROM tick) WHERE gap IS NOT NULL GROUP BY ALL)""")
    out |= _one(con, """SELECT (max(ts) - min(ts)) / 60000 AS span_minutes FROM tick""")
    out |= _one(con, """SELECT quantile_disc(u, 0.5) AS users_per_minute FROM accelerometer a
        JOIN (SELECT "timestamp" // 60000 AS m, count(DISTINCT "user") AS u FROM accelerometer GROUP BY 1) p
        ON p.m = a."timestamp" // 60000""")
    out |= _one(con, """WITH users_at AS (SELECT ts, count(*) AS users FROM tick GROUP BY ts)
        SELECT avg((u.users - (t.ts IS NOT NULL)::INT > 0)::INT) AS cross_customer_ms FROM own_step s
        LEFT JOIN tick t ON t."user" = s.email AND t.ts = s.sensorReadingTime
        LEFT JOIN users_at u ON u.ts = s.sensorReadingTime""")
    out |= _one(con, """SELECT max(users) AS max_customers_per_ms,
        1000 * count(*) FILTER (users >= 3) / (SELECT count(*) FROM per_user) AS ms_3plus_per_1000
        FROM (SELECT count(*) AS users FROM tick GROUP BY ts)""")
    return out


def _customer_fields(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[str, float]:
    out = _one(con, """SELECT avg((year < 1900)::INT) AS old_birthday,
        avg((length(y) = 3)::INT) AS three_digit_year, avg((birthDay LIKE '%-01-01')::INT) AS birthday_jan_1,
        (SELECT count(DISTINCT customerName) FROM first_record) / count(*) AS distinct_names
        FROM (SELECT birthDay, split_part(birthDay, '-', 1) AS y, TRY_CAST(y AS INT) AS year FROM first_record)""")
    lines = [line for path in paths for line in path.read_bytes().split(b"\n") if line.startswith(b"{")]
    spaced = sum(b'": ' in line and b'", "' in line for line in lines)
    return out | {"spaced_customer_lines": spaced / max(len(lines), 1)}


def _files_and_order(con: duckdb.DuckDBPyConnection, files: dict[str, list[Path]]) -> dict[str, float]:
    every = [p for paths in files.values() for p in paths]
    out = {
        "lines_per_file": max(p.read_bytes().count(b"\n") for p in every),
        "epoch_file_names": sum(_NAME.fullmatch(p.name) is not None for p in every) / len(every),
    }
    con.execute("""CREATE OR REPLACE TEMP TABLE block AS
        SELECT "user", any_value(rank) AS rank, count(*) AS lines, min(pos) AS pos FROM (
          SELECT "user", pos, sum(new::INT) OVER (ORDER BY pos) AS block FROM (
            SELECT "user", pos, "user" IS DISTINCT FROM lag("user") OVER (ORDER BY pos) AS new
            FROM accelerometer)) b
        LEFT JOIN (SELECT email, row_number() OVER (ORDER BY pos) AS rank FROM first_record) c ON c.email = b."user"
        GROUP BY "user", block""")
    out |= _one(con, """SELECT avg(lines) AS phone_lines_per_block,
        count(*) / count(DISTINCT "user") AS blocks_per_customer,
        avg((next_rank = rank + 1)::INT) AS next_block_next_customer
        FROM (SELECT *, lead(rank) OVER (ORDER BY pos) AS next_rank FROM block)""")
    out |= _one(con, """SELECT avg((ts <= prev)::INT) AS descending_in_block FROM (SELECT "timestamp" AS ts,
        lag("timestamp") OVER (ORDER BY pos) AS prev, lag("user") OVER (ORDER BY pos) AS prev_user, "user"
        FROM accelerometer) WHERE prev_user = "user" """)
    out |= _one(con, """SELECT avg((first_pos > prev)::INT) AS step_in_phone_order FROM (
        SELECT t.first_pos, lag(t.first_pos) OVER (ORDER BY s.pos) AS prev FROM own_step s
        JOIN tick t ON t."user" = s.email AND t.ts = s.sensorReadingTime)
        WHERE prev IS NOT NULL""")
    with tempfile.TemporaryDirectory(prefix="stedi-statistics-") as folder:
        target = Path(folder) / "phone.parquet"
        con.execute(f"""COPY (SELECT "user", "timestamp", x, y, z FROM accelerometer ORDER BY pos)
            TO '{target}' (FORMAT parquet, COMPRESSION zstd)""")
        rows = con.execute("SELECT count(*) FROM accelerometer").fetchone()[0]
        out["parquet_bytes_per_phone_row"] = target.stat().st_size / max(rows, 1)
    return out
