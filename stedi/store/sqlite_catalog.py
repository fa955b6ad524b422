"""The lake's SQLite catalog file, read and repaired with the standard library.

pyiceberg's SQL catalog keeps the Iceberg JDBC catalog's table `iceberg_tables`: one row
per table naming its current metadata file. Reading it here costs no pyiceberg import
(0.6 s); rolling a table back is the same compare-and-set on that row that a pyiceberg
commit makes, in the other direction. The Glue catalog will need its own counterpart.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from stedi.errors import StediError

CATALOG = "stedi"
NAMESPACE = "stedi"


def _connect(path: Path, write: bool) -> sqlite3.Connection:
    mode = "rw" if write else "ro"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=30)


def unreadable(path: Path, error: Exception) -> StediError:
    return StediError(f"{path}: not a readable Iceberg catalog ({str(error).splitlines()[0]}); restore it from a "
                      "backup, or delete it and `stedi run` rebuilds every table from landing")


def metadata_locations(path: Path, write: bool = True) -> dict[str, str]:
    """Every table of the lake's namespace and its current metadata file. Writers open the file
    for writing: after a writer was killed mid-commit, SQLite must roll its journal back first."""
    if not path.exists():
        return {}
    try:
        with closing(_connect(path, write=write)) as con:
            rows = con.execute(
                "SELECT table_name, metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?",
                (CATALOG, NAMESPACE),
            ).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):  # a catalog made before its first table
            return {}
        raise unreadable(path, e) from None
    except sqlite3.DatabaseError as e:
        raise unreadable(path, e) from None
    return dict(rows)


def set_metadata_location(path: Path, table: str, expected: str, new: str | None) -> bool:
    """Point `table` back at metadata `new` (None: remove the table from the catalog) if it still
    points at `expected`. Data and metadata files are left alone. True if the row changed."""
    with closing(_connect(path, write=True)) as con, con:
        key = (CATALOG, NAMESPACE, table, expected)
        where = "catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?"
        if new is None:
            cursor = con.execute(f"DELETE FROM iceberg_tables WHERE {where}", key)
        else:
            cursor = con.execute(
                f"UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = NULL WHERE {where}",
                (new, *key),
            )
        return cursor.rowcount == 1
