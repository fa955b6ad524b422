"""Which rows a delivery changes, so that a run rebuilds only those.

Every rule is about one customer: their latest record decides consent, their readings are
theirs (phone readings by email, step-trainer readings by serial number), and a serial number
is attributable while only one customer holds it. So a delivery can change the rows of exactly
the customers it touches:

- a customer with a new record (consent granted, moved or withdrawn; a new serial number);
- a customer with a new phone reading, or holding the serial number of a new step-trainer reading;
- every other customer holding, before or after, a serial number one of those holds: a serial
  taken by a second customer stops being attributable, a serial given up may become so again.

A run recomputes every row of these customers from every accepted line they ever had (the
`<source>_accepted` tables plus this delivery), with the models' own SQL, removes their old rows
from each table (rewriting only the files that hold any) and adds the new. Every other row stays
as it is: its inputs did not change. After any sequence of deliveries the tables equal a full
rebuild (tests/pipeline/test_incremental_property.py checks it on random sequences).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from stedi.models import model
from stedi.pipeline.changes import accepted_table

if TYPE_CHECKING:
    from stedi.engines.base import Engine

AFFECTED_EMAILS, AFFECTED_SERIALS, AFFECTED_KEYS = "affected_emails", "affected_serials", "affected_keys"

# The rows of the affected customers in each stored table: what a run removes and rebuilds.
ROWS_OF_AFFECTED = {
    "customer_trusted": f"email IN (SELECT email FROM {AFFECTED_EMAILS})",
    "customer_curated": f"email IN (SELECT email FROM {AFFECTED_EMAILS})",
    "accelerometer_trusted": f"user IN (SELECT email FROM {AFFECTED_EMAILS})",
    "step_trainer_trusted": f"serialnumber IN (SELECT serialnumber FROM {AFFECTED_SERIALS})",
    "machine_learning_curated": f"customer_key IN (SELECT customer_key FROM {AFFECTED_KEYS})",
}


def new_rows(source: str) -> str:
    """This delivery's accepted rows of a source (read from the files the run wrote for them)."""
    return f"new_{source}"


def old_rows(table: str) -> str:
    """A table as the last run left it."""
    return f"old_{table}"


def _reading(sql: str, renames: dict[str, str]) -> str:
    """`sql` with the tables it reads renamed (a syntax tree, not string replacement)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.name in renames:
            table.set("this", exp.to_identifier(renames[table.name]))
    return tree.sql(dialect="duckdb")


def find_affected(engine: "Engine", also: str | None = None, old_customers: str | None = None) -> int:
    """Work out the affected customers, their serial numbers and keys (kept by the engine for the
    rest of the run); return how many of them the last run already knew (none: nothing to remove).
    Needs `customer_latest` over every customer record, old and new, and the old and new rows.
    `also`: a query of more emails to count as touched (the people a `stedi forget` erases);
    `old_customers`: where the last run's customer records are (default: old_customer_accepted)."""
    old_customers = old_customers or old_rows(accepted_table("customer"))
    latest_old = _reading(model("customer_latest").sql, {"customer_landing": old_customers})
    holders = f"SELECT email, serialnumber FROM ({latest_old}) AS o UNION SELECT email, serialnumber FROM customer_latest"
    engine.materialize("customer_holders", holders)
    touched = (
        f"SELECT email FROM {new_rows('customer')} "
        f"UNION SELECT user FROM {new_rows('accelerometer')} "
        f"UNION SELECT h.email FROM customer_holders AS h "
        f"WHERE h.serialnumber IN (SELECT serialnumber FROM {new_rows('step_trainer')})"
        + (f" UNION {also}" if also else "")
    )
    engine.materialize(AFFECTED_EMAILS, (
        f"WITH touched AS ({touched}) SELECT email FROM touched UNION "
        "SELECT h.email FROM customer_holders AS h WHERE h.serialnumber IN "
        "(SELECT t.serialnumber FROM customer_holders AS t WHERE t.email IN (SELECT email FROM touched))"
    ))
    engine.materialize(AFFECTED_SERIALS, (
        "SELECT DISTINCT serialnumber FROM customer_holders "
        f"WHERE email IN (SELECT email FROM {AFFECTED_EMAILS})"
    ))
    engine.materialize(AFFECTED_KEYS, (
        f"SELECT sha256(p.pseudonym_key || a.email) AS customer_key FROM {AFFECTED_EMAILS} AS a "
        "CROSS JOIN run_parameters AS p"
    ))
    [(known,)] = engine.rows(
        f"SELECT count(*) FROM {AFFECTED_EMAILS} WHERE email IN "
        f"(SELECT email FROM {old_customers})"
    )
    return int(known)


def landing_views(engine: "Engine", affected_only: bool = True) -> None:
    """The landing tables the models read: every customer record, and the readings of the affected
    customers (every reading, old and new, with `affected_only` False: for the run's counts)."""
    for source, key in (("customer", None), ("accelerometer", ROWS_OF_AFFECTED["accelerometer_trusted"]),
                        ("step_trainer", ROWS_OF_AFFECTED["step_trainer_trusted"])):
        both = f"SELECT * FROM {old_rows(accepted_table(source))} UNION ALL SELECT * FROM {new_rows(source)}"
        where = f" WHERE {key}" if key and affected_only else ""
        engine.create_view(f"{source}_landing", f"SELECT * FROM ({both}) AS l{where}")


def affected_rows(table: str, sql: str) -> str:
    """The rows of the affected customers that `sql` (a model) yields."""
    return f"SELECT * FROM ({sql}\n) AS m WHERE {ROWS_OF_AFFECTED[table]}"


def other_rows(table: str, name: str) -> str:
    """The rows of `name` (a table's old files) that belong to no affected customer."""
    return f"SELECT * FROM {name} WHERE NOT coalesce({ROWS_OF_AFFECTED[table]}, false)"
