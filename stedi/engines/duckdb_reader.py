"""A reader's DuckDB connection over stored tables only: what `stedi query` needs when its SQL
names no landing table, made without importing the landing parser (sqlglot, numpy: 0.15 s of
a 0.3 s query). The connection, its restriction and its lock are this module's functions,
which DuckDBEngine uses too (stedi/read_only.py says why both), so the two give the same
answers and refuse the same things; tests/test_query_fast.py holds them to it.
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


def open_connection(config: Config, temp_dir: Path | None = None,
                    setup: list[str] | None = None) -> "duckdb.DuckDBPyConnection":
    """A DuckDB connection with the lake's memory and thread settings, spilling to `temp_dir`,
    `setup` (the storage's statements) run first: every engine's and reader's."""
    # Nothing is downloaded at run time: extensions load only from the installed packages.
    settings: dict[str, object] = {"memory_limit": config.memory_limit, "autoinstall_known_extensions": False,
                                   "autoload_known_extensions": False}
    if config.threads:
        settings["threads"] = config.threads
    if temp_dir is not None:
        settings["temp_directory"] = str(temp_dir)
    con = duckdb.connect(config=settings)
    # Progress is ours to show (on stderr); DuckDB's own bar would write into stdout.
    con.execute("SET enable_progress_bar = false")
    for statement in setup or []:
        con.execute(statement)
    return con


def restrict(con: "duckdb.DuckDBPyConnection", files: list[str], folders: list[str]) -> None:
    """Make `con` a reader's connection: from now on it reaches no file but `files` and those in
    `folders` (no URL, no extension to install or load), nor a Python variable by name.
    Statements run after this still read and write within them (COPY writes into an allowed
    folder): stedi.read_only checks a reader's SQL. Call `lock` once the tables are set up."""
    def listed(values: list[str]) -> str:
        return "[" + ", ".join(literal(v) for v in values) + "]"

    # Set before external access is turned off: DuckDB refuses to change them afterwards.
    if files:
        con.execute(f"SET allowed_paths = {listed(files)}")
    if folders:
        con.execute(f"SET allowed_directories = {listed([f.rstrip('/') + '/' for f in folders])}")
    con.execute("SET enable_external_access = false")
    con.execute("SET python_enable_replacements = false")


def lock(con: "duckdb.DuckDBPyConnection") -> None:
    """No setting can change any more (SET, RESET, PRAGMA): the last step of a reader's setup."""
    con.execute("SET lock_configuration = true")


class ReaderConnection:
    """`con`, reaching only the files given to `restrict`, its settings locked by `lock`."""

    def __init__(self, config: Config, temp_dir: Path | None = None, setup: list[str] | None = None):
        self.temp_dir = temp_dir
        self.threads = config.threads or os.cpu_count() or 1
        self.con = open_connection(config, temp_dir, setup)

    def restrict(self, files: list[str], folders: list[str]) -> None:
        restrict(self.con, files, folders)

    def lock(self) -> None:
        lock(self.con)

    def register_parquet(self, name: str, files: list[str], columns: "pa.Schema | list[tuple[str, str]]") -> None:
        register_parquet(self.con, name, files, columns)

    def close(self) -> None:
        self.con.close()


def register_parquet(con: "duckdb.DuckDBPyConnection", name: str, files: list[str],
                     columns: "pa.Schema | list[tuple[str, str]]") -> None:
    """A view `name` over the Parquet `files`; with none, an empty view of `columns` (an Arrow
    schema, or (name, DuckDB type) pairs)."""
    if files:
        parquet_view(con, name, files)
        return
    typed = columns if isinstance(columns, list) else _duckdb_types(columns)
    empty = ", ".join(f"NULL::{sql_type} AS {ident(column)}" for column, sql_type in typed)
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT {empty} WHERE false")


def parquet_view(con: "duckdb.DuckDBPyConnection", name: str, files: list[str]) -> None:
    """A view `name` over the Parquet `files` (at least one)."""
    listed = ", ".join(literal(f) for f in files)
    con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM read_parquet([{listed}], "
                "hive_partitioning = false)")


def _duckdb_types(schema: "pa.Schema") -> list[tuple[str, str]]:
    from stedi.landing.column_types import of_arrow

    return [(f.name, of_arrow(f.type, "DuckDB").sql) for f in schema]
