"""A reader's DuckDB connection over stored tables only: what `stedi query` needs when its SQL
names no landing table, made without importing the landing parser (sqlglot, numpy: 0.15 s of
a 0.3 s query). The same settings and the same locks as DuckDBEngine's reader connection
(stedi/engines/duckdb_engine.py: `restrict`, `lock`; stedi/read_only.py says why both), so the
two give the same answers and refuse the same things; tests/test_query_fast.py holds them to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from stedi.config import Config

if TYPE_CHECKING:
    import pyarrow as pa


def literal(text: str) -> str:
    """A SQL string literal (as sqlglot writes one for DuckDB: quotes doubled, backslashes as they are)."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ReaderConnection:
    """`con`, reaching only the files given to `restrict`, its settings locked by `lock`."""

    def __init__(self, config: Config, temp_dir: Path | None = None, setup: list[str] | None = None):
        # Nothing is downloaded at run time: extensions load only from the installed packages.
        settings: dict[str, object] = {"memory_limit": config.memory_limit, "autoinstall_known_extensions": False,
                                       "autoload_known_extensions": False}
        if config.threads:
            settings["threads"] = config.threads
        if temp_dir is not None:
            settings["temp_directory"] = str(temp_dir)
        self.temp_dir = temp_dir
        self.threads = config.threads or os.cpu_count() or 1
        self.con = duckdb.connect(config=settings)
        self.con.execute("SET enable_progress_bar = false")
        for statement in setup or []:
            self.con.execute(statement)

    def restrict(self, files: list[str], folders: list[str]) -> None:
        """As DuckDBEngine.restrict: no file but `files` and those in `folders`, no URL, no
        extension to install or load, no Python variable by name."""
        def listed(values: list[str]) -> str:
            return "[" + ", ".join(literal(v) for v in values) + "]"

        if files:
            self.con.execute(f"SET allowed_paths = {listed(files)}")
        if folders:
            self.con.execute(f"SET allowed_directories = {listed([f.rstrip('/') + '/' for f in folders])}")
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET python_enable_replacements = false")

    def lock(self) -> None:
        self.con.execute("SET lock_configuration = true")

    def register_parquet(self, name: str, files: list[str], columns: "pa.Schema | list[tuple[str, str]]") -> None:
        register_parquet(self.con, name, files, columns)

    def close(self) -> None:
        self.con.close()


def register_parquet(con: "duckdb.DuckDBPyConnection", name: str, files: list[str],
                     columns: "pa.Schema | list[tuple[str, str]]") -> None:
    """A view `name` over the Parquet `files`; with none, an empty view of `columns` (an Arrow
    schema, or (name, DuckDB type) pairs)."""
    if files:
        listed = ", ".join(literal(f) for f in files)
        con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet([{listed}], "
                    "hive_partitioning = false)")
        return
    typed = columns if isinstance(columns, list) else _duckdb_types(columns)
    empty = ", ".join(f"NULL::{sql_type} AS {ident(column)}" for column, sql_type in typed)
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT {empty} WHERE false")


def _duckdb_types(schema: "pa.Schema") -> list[tuple[str, str]]:
    from stedi.landing.column_types import of_arrow

    return [(f.name, of_arrow(f.type, "DuckDB").sql) for f in schema]
