"""The embedded default engine: DuckDB in the same process, spilling to a local temp folder.
It reads and writes a lake in S3 through the httpfs extension (the storage's `duckdb_setup`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import sqlglot.expressions as exp

from stedi.config import Config
from stedi.engines import duckdb_parse as parse
from stedi.engines.base import Engine, LandingLoad, Written
from stedi.engines import duckdb_reader as reader
from stedi.engines.duckdb_landing import LandingReader
from stedi.engines.duckdb_reader import ident as _ident, literal as _literal
from stedi.landing.sources import Source
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    import pyarrow as pa


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, config: Config, temp_dir: Path | None = None, setup: list[str] | None = None,
                 refresh: Callable[[], list[str]] | None = None):
        """`setup`: statements run first (the storage's); `refresh`: the statements that give the
        connection the current credentials, run again before its work whenever they changed."""
        self.temp_dir = temp_dir
        self.threads = config.threads or os.cpu_count() or 1
        self.con = reader.open_connection(config, temp_dir, setup)
        self._written: dict[str, list[str]] = {}  # the Parquet files each write_parquet wrote, by view
        # The run closes the engine in a thread while it commits, and again on its way out
        # (a Ctrl-C may come between): one close at a time.
        self._closing = threading.Lock()
        self._refresh, self._refreshed = refresh, (refresh() if refresh else [])

    def _renew(self) -> None:
        """Hand DuckDB renewed credentials before work that may reach S3: a writer can outlast the
        credentials it started with (SSO or an assumed role often last an hour)."""
        if self._refresh is not None:
            statements = self._refresh()
            if statements != self._refreshed:
                for statement in statements:
                    self.con.execute(statement)
                self._refreshed = statements

    def restrict(self, files: list[str], folders: list[str]) -> None:
        """Make this a reader's connection (duckdb_reader.restrict). Call `lock` once the tables are set up."""
        reader.restrict(self.con, files, folders)

    def lock(self) -> None:
        reader.lock(self.con)

    def load_landing(self, source: Source, files: list[LandingFile] | list[Path]) -> LandingLoad:
        files = _landing_files(files)
        view = _ident(source.landing_table)
        columns = ", ".join(_ident(c) for c in source.columns)
        if not files:
            empty = ", ".join(f"NULL::{f.type.sql_type} AS {_ident(f.column)}" for f in source.fields)
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {empty} WHERE false")
            return LandingLoad(source.name, 0, 0, [])
        parsed = f"_parsed_{source.name}"
        load = LandingReader(self.con, self.temp_dir, self.threads).load(source, files, parsed)
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM {parsed} WHERE ok")
        return load

    def landing_used(self, source: str, accepted: str) -> None:
        """Once the accepted rows are written to local Parquet, the models read `<source>_landing`
        from those files and the typed lines' table goes: at 100 M readings it no longer fits in
        memory, and each read of it was a read back from the spill folder (docs/benchmarks.md,
        issue 24). A lake in S3 keeps the table: reading the files back would download them."""
        files = self._written.get(accepted)
        if files is None or any("://" in f for f in files):
            return
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(source + '_landing')} AS SELECT * FROM {_ident(accepted)}")
        self.con.execute(f"DROP TABLE IF EXISTS {_ident('_parsed_' + source)}")

    def define_landing(self, source: Source, files: list[LandingFile] | list[Path]) -> None:
        """Make `<source>_landing` a view that parses the files when read, for a query that does
        not name it (so it costs nothing). Not exact on hostile input: load_landing is."""
        files = _landing_files(files)
        if not files:
            self.load_landing(source, files)
            return
        typed = parse.render(parse.typed_sql(source, parse.tokens_sql(source, [f.path for f in files])))
        columns = ", ".join(_ident(c) for c in source.columns)
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(source.landing_table)} AS SELECT {columns} FROM ({typed}) WHERE ok")

    def set_parameters(self, **values: str) -> None:
        # Literals, not bound parameters: binding makes the DuckDB client import pandas (0.3 s).
        select = exp.select(*(exp.alias_(exp.Literal.string(v), k, quoted=True) for k, v in values.items()))
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE run_parameters AS {select.sql(dialect='duckdb')}")

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS {sql}")

    def write_parquet(self, name: str, sql: str, directory: str, cluster: tuple[str, int] | None = None,
                      order: tuple[str, ...] = ()) -> Written:
        self._renew()
        if order:
            # Row groups then hold ranges of these columns (their min/max say so), and the write
            # keeps the order (preserve_insertion_order, DuckDB's default).
            sql = f"SELECT * FROM ({sql}) AS unordered ORDER BY {', '.join(_ident(c) for c in order)}"
        if cluster is not None and cluster[1] > 1:
            # One folder per hash bucket (stedi_bucket=N/, the column itself not written);
            # readers read the files by name, never inferring a column from the folders.
            column, buckets = cluster
            rows, files = self.con.execute(
                f"COPY (SELECT *, hash({_ident(column)}) % {int(buckets)} AS stedi_bucket FROM ({sql})) "
                f"TO {_literal(directory)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (stedi_bucket), "
                "RETURN_FILES true)"
            ).fetchone()  # type: ignore[misc]
        else:
            rows, files = self.con.execute(
                f"COPY ({sql}) TO {_literal(directory)} "
                "(FORMAT parquet, COMPRESSION snappy, FILE_SIZE_BYTES '256MB', RETURN_FILES true)"
            ).fetchone()  # type: ignore[misc]
        self._written[name] = list(files) if rows else []
        if rows:
            reader.parquet_view(self.con, name, list(files))
            return Written(list(files), int(rows))
        # No rows still writes one empty file: the view keeps its columns, the table not the file.
        # The columns are spelled out, so the view reads nothing another view may later replace.
        described = self.con.execute(f"DESCRIBE ({sql})").fetchall()
        empty = ", ".join(f"NULL::{column_type} AS {_ident(column)}" for column, column_type, *_ in described)
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT {empty} WHERE false")
        return Written([], 0, empty=list(files))

    def write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: str) -> Written:
        # Through a JSON-lines file: handing Python rows to DuckDB or pyarrow directly imports pandas (0.2 s).
        import json

        typed = ", ".join(f"{_ident(c)}: {_literal(t)}" for c, t in columns.items())
        if not rows:
            empty = ", ".join(f"NULL::{t} AS {_ident(c)}" for c, t in columns.items())
            return self.write_parquet(name, f"SELECT {empty} WHERE false", directory)
        import tempfile

        fd, staged_name = tempfile.mkstemp(suffix=".jsonl", dir=self.temp_dir)
        os.close(fd)
        staged = Path(staged_name)
        try:
            lines = [json.dumps(row) + "\n" for row in rows]  # ASCII: characters are bytes
            with staged.open("w", encoding="utf-8") as fh:
                fh.writelines(lines)
            longest = max(map(len, lines))
            # A quarantined line can be longer than DuckDB reads by default (16 MB).
            limit = f", maximum_object_size = {2 * longest + 1024}" if longest > 1 << 23 else ""
            return self.write_parquet(
                name, f"SELECT * FROM read_json({_literal(str(staged))}, format = 'newline_delimited', "
                      f"columns = {{{typed}}}{limit})",
                directory,
            )
        finally:
            staged.unlink(missing_ok=True)

    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        reader.register_parquet(self.con, name, files, schema)

    def materialize(self, name: str, sql: str) -> None:
        self._renew()
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(name)} AS {sql}")

    def files_holding(self, files: list[str], where: str) -> list[str]:
        self._renew()
        if not files:
            return []
        listed = ", ".join(_literal(f) for f in files)
        found = self.con.execute(f"SELECT DISTINCT filename FROM read_parquet([{listed}], filename = true, "
                                 f"hive_partitioning = false) WHERE {where}").fetchall()
        return sorted(name for (name,) in found)

    def count(self, name: str) -> int:
        self._renew()
        return int(self.con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()[0])  # type: ignore[index]

    def schema(self, name: str) -> "pa.Schema":
        return self.con.execute(f"SELECT * FROM {_ident(name)} LIMIT 0").to_arrow_table().schema

    def fingerprint(self, name: str) -> str:
        self._renew()
        # An order-free sum of row hashes; the row's type names the columns and their types.
        rows, total, kind = self.con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0), any_value(typeof(t)) FROM {_ident(name)} AS t"
        ).fetchone()  # type: ignore[misc]
        return f"{rows}:{total}:{kind}"

    def rows(self, sql: str) -> list[tuple]:
        self._renew()
        return self.con.execute(sql).fetchall()

    def arrow(self, sql: str) -> "pa.Table":
        self._renew()
        return self.con.execute(sql).to_arrow_table()

    def close(self) -> None:
        with self._closing:
            self.con.close()


def _landing_files(files: list[LandingFile] | list[Path]) -> list[LandingFile]:
    """Local files may be given as paths."""
    return [f if isinstance(f, LandingFile) else LandingFile(str(f)) for f in files]

