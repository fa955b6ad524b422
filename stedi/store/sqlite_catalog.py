"""The lake's SQLite catalog file, read and repaired with the standard library.

pyiceberg's SQL catalog keeps the Iceberg JDBC catalog's table `iceberg_tables`: one row
per table naming its current metadata file. Reading it here costs no pyiceberg import
(0.6 s); rolling a table back is the same compare-and-set on that row that a pyiceberg
commit makes, in the other direction. Writers commit through stedi/store/sqlite_commits.py,
pyiceberg's catalog interface on the same table without SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.errors import StediError
from stedi.store.catalog import CatalogAccess

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CATALOG = "stedi"
NAMESPACE = "stedi"


class SqliteCatalog(CatalogAccess):
    namespace = NAMESPACE
    creates_with_contents = True

    def __init__(self, path: Path, warehouse: str):
        self.path, self.warehouse = path, warehouse
        self._catalog: Catalog | None = None

    def describe(self) -> str:
        return str(self.path)

    def pyiceberg(self) -> "Catalog":
        if self._catalog is None:
            from stedi.store.sqlite_commits import SqliteCommits  # pyiceberg: a slow import

            try:
                self._catalog = SqliteCommits(CATALOG, self.path, NAMESPACE, self.warehouse)
            except sqlite3.DatabaseError as e:
                raise unreadable(self.path, e) from None
        return self._catalog

    def close(self) -> None:
        self._catalog = None  # its calls each close their own connection: no lock is held

    def _connect(self, write: bool) -> sqlite3.Connection:
        mode = "rw" if write else "ro"
        return sqlite3.connect(f"file:{self.path}?mode={mode}", uri=True, timeout=30)

    def metadata_locations(self, write: bool = True) -> dict[str, str]:
        # Writers open the file for writing: after a writer was killed mid-commit, SQLite must
        # roll its journal back first.
        if not self.path.exists():
            return {}
        try:
            with closing(self._connect(write)) as con:
                rows = con.execute(
                    "SELECT table_name, metadata_location FROM iceberg_tables "
                    "WHERE catalog_name = ? AND table_namespace = ?", (CATALOG, NAMESPACE),
                ).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):  # a catalog made before its first table
                return {}
            raise unreadable(self.path, e) from None
        except sqlite3.DatabaseError as e:
            raise unreadable(self.path, e) from None
        return dict(rows)

    def set_metadata_location(self, table: str, expected: str, new: str | None) -> bool:
        with closing(self._connect(write=True)) as con, con:
            return moved(con, (CATALOG, NAMESPACE, table), expected, new)


def moved(con: sqlite3.Connection, key: tuple[str, str, str], expected: str, new: str | None,
          previous: str | None = None) -> bool:
    """The compare-and-set every change of a table's row makes (a commit, a roll-back): the row
    of `key` (catalog, namespace, table) moves to `new` (None: the row goes) only if it still
    names `expected`. False if another writer moved it meanwhile."""
    where = "catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?"
    if new is None:
        return con.execute(f"DELETE FROM iceberg_tables WHERE {where}", (*key, expected)).rowcount == 1
    return con.execute(f"UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE {where}",
                       (new, previous, *key, expected)).rowcount == 1


def unreadable(path: Path, error: Exception) -> StediError:
    return StediError(f"{path}: not a readable Iceberg catalog ({str(error).splitlines()[0]}); restore it from a "
                      "backup, or delete it and `stedi run` rebuilds every table from landing")
