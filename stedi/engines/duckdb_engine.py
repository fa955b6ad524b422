"""The embedded default engine: DuckDB in the same process, spilling to the lake's temp folder."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import sqlglot.expressions as exp

from stedi.config import Config
from stedi.engines import duckdb_parse as parse
from stedi.engines.base import Engine, LandingLoad, Rejected, Written
from stedi.errors import InputError
from stedi.landing.locate import decode, lines_at, reject_by_reading
from stedi.landing.sources import Source
from stedi.landing.validate import rejection_reason

if TYPE_CHECKING:
    import pyarrow as pa


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, config: Config, temp_dir: Path | None = None, lazy_landing: bool = False):
        settings: dict[str, object] = {"memory_limit": config.memory_limit}
        if config.threads:
            settings["threads"] = config.threads
        if temp_dir is not None:
            settings["temp_directory"] = str(temp_dir)
        self.temp_dir = temp_dir
        self.threads = config.threads or os.cpu_count() or 1
        self.con = duckdb.connect(config=settings)
        # Progress is ours to show (on stderr); DuckDB's own bar would write into stdout.
        self.con.execute("SET enable_progress_bar = false")
        # Queries only look at landing tables now and then: parse them when read, not up front.
        self.lazy_landing = lazy_landing

    def load_landing(self, source: Source, files: list[Path]) -> LandingLoad:
        view = _ident(source.landing_table)
        columns = ", ".join(_ident(c) for c in source.columns)
        if not files:
            empty = ", ".join(f"NULL::{f.type.sql_type} AS {_ident(f.column)}" for f in source.fields)
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {empty} WHERE false")
            return LandingLoad(source.name, 0, 0, [])
        tokens = parse.tokens_sql(source, [str(f) for f in files])
        if self.lazy_landing:
            typed = parse.render(parse.typed_sql(source, tokens))
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM ({typed}) WHERE ok")
            return LandingLoad(source.name, -1, -1, [])
        parsed = f"_parsed_{source.name}"
        try:  # a row id is the line's position among the file's lines
            self._create_in_order(parsed, parse.render(parse.typed_sql(source, tokens)))
        except duckdb.IOException as e:
            raise InputError(f"cannot read {source.name} landing files: {e}") from None
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM {parsed} WHERE ok")
        read, accepted, rejected = self._rejected_lines(source, files, parsed)
        # After a line cut short, DuckDB's reader can lose the next line too. A rejected line
        # the validator finds sound is read again on its own.
        doubtful = [r for r in rejected if r.reason is None]
        if doubtful:
            kept = self._read_again(source, parsed, doubtful)
            rejected = [r for r in rejected if r.reason is not None] + kept
            accepted += len(doubtful) - len(kept)
        return LandingLoad(source.name, read, accepted, rejected)

    def _create_in_order(self, table: str, sql: str) -> None:
        """A temp table whose row ids follow the order `sql` reads its files in."""
        try:
            self.con.execute("SET preserve_insertion_order = true")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(table)} AS {sql}")
        finally:
            # Elsewhere order is not needed, and keeping it slows joins and writes.
            self.con.execute("SET preserve_insertion_order = false")

    def _rejected_lines(self, source: Source, files: list[Path], parsed: str) -> tuple[int, int, list[Rejected]]:
        """Lines read, lines accepted, and the rejected lines numbered and explained."""
        counts = self.con.execute(
            f"SELECT file_index, min(rowid), count(*), count_if(ok) FROM {parsed} GROUP BY file_index"
        ).fetchall()
        bad: dict[int, list[int]] = {}
        for index, row in self.con.execute(f"SELECT file_index, rowid FROM {parsed} WHERE NOT ok ORDER BY rowid").fetchall():
            bad.setdefault(index, []).append(row)
        # Files are numbered side by side: numpy lets go of the interpreter while it scans.
        with ThreadPoolExecutor(max_workers=max(1, min(len(bad), self.threads))) as pool:
            numbering = {index: pool.submit(lines_at, files[index], [row - first for row in bad[index]], rows)
                         for index, first, rows, _ in counts if index in bad}
        read, accepted, rejected = 0, 0, []
        for index, first, rows, ok in counts:
            path = files[index]
            located = numbering[index].result() if index in numbering else []
            if located is None:
                # The reader skipped a line this count has (one of only spaces, say): numbers
                # by position would be wrong, so the validator reads this file line by line.
                lines, found = reject_by_reading(source, path)
                read += lines
                rejected += [Rejected(str(path), raw, line, reason) for line, raw, reason in found]
                accepted += lines - len(found)
                continue
            read, accepted = read + rows, accepted + ok
            for line, data in located:
                raw, reason = decode(data)
                rejected.append(Rejected(str(path), raw, line, reason or rejection_reason(source, raw)))
        return read, accepted, rejected

    def _read_again(self, source: Source, parsed: str, lines: list[Rejected]) -> list[Rejected]:
        """Type these lines again, each on its own; add the accepted ones; return the others."""
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False,
                                         dir=self.temp_dir) as fh:
            fh.writelines(r.raw + "\n" for r in lines)
        try:  # a row id is the index into lines
            self._create_in_order("_again", parse.render(parse.typed_sql(source, parse.tokens_sql(source, [fh.name]))))
        finally:
            Path(fh.name).unlink()
        self.con.execute(f"INSERT INTO {parsed} SELECT * FROM _again WHERE ok")
        accepted = {row for (row,) in self.con.execute("SELECT rowid FROM _again WHERE ok").fetchall()}
        self.con.execute("DROP TABLE _again")
        return [r for i, r in enumerate(lines) if i not in accepted]

    def set_parameters(self, **values: str) -> None:
        # Literals, not bound parameters: binding makes the DuckDB client import pandas (0.3 s).
        select = exp.select(*(exp.alias_(exp.Literal.string(v), k, quoted=True) for k, v in values.items()))
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE run_parameters AS {select.sql(dialect='duckdb')}")

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS {sql}")

    def write_parquet(self, name: str, sql: str, directory: Path) -> Written:
        directory.parent.mkdir(parents=True, exist_ok=True)
        rows, files = self.con.execute(
            f"COPY ({sql}) TO '{directory}' "
            "(FORMAT parquet, COMPRESSION snappy, FILE_SIZE_BYTES '256MB', RETURN_FILES true)"
        ).fetchone()  # type: ignore[misc]
        paths = [Path(f) for f in files]
        if rows:
            self._parquet_view(name, [str(p) for p in paths])
            return Written(paths, int(rows))
        # No rows still writes one empty file: the view keeps its columns, the table not the file.
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM ({sql}) WHERE false")
        for p in paths:
            p.unlink()
        return Written([], 0)

    def write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: Path) -> Written:
        # Through a JSON-lines file: handing Python rows to DuckDB or pyarrow directly imports pandas (0.2 s).
        import json

        typed = ", ".join(f"{_ident(c)}: '{t}'" for c, t in columns.items())
        if not rows:
            empty = ", ".join(f"NULL::{t} AS {_ident(c)}" for c, t in columns.items())
            return self.write_parquet(name, f"SELECT {empty} WHERE false", directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staged = directory.parent / f".{directory.name}.jsonl"
        try:
            with staged.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(row) + "\n" for row in rows)
            return self.write_parquet(
                name, f"SELECT * FROM read_json('{staged}', format = 'newline_delimited', columns = {{{typed}}})", directory
            )
        finally:
            staged.unlink(missing_ok=True)

    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        if files:
            self._parquet_view(name, files)
        else:
            empty = ", ".join(f"NULL::{_sql_type(f.type)} AS {_ident(f.name)}" for f in schema)
            self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT {empty} WHERE false")

    def _parquet_view(self, name: str, files: list[str]) -> None:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM read_parquet([{listed}])")

    def count(self, name: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()[0])  # type: ignore[index]

    def schema(self, name: str) -> "pa.Schema":
        return self.con.execute(f"SELECT * FROM {_ident(name)} LIMIT 0").to_arrow_table().schema

    def fingerprint(self, name: str) -> str:
        # An order-free sum of row hashes; the row's type names the columns and their types.
        rows, total, kind = self.con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0), any_value(typeof(t)) FROM {_ident(name)} AS t"
        ).fetchone()  # type: ignore[misc]
        return f"{rows}:{total}:{kind}"

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def arrow(self, sql: str) -> "pa.Table":
        return self.con.execute(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


def _sql_type(arrow_type: "pa.DataType") -> str:
    """DuckDB type of an Arrow type, for the few types tables here hold."""
    import pyarrow as pa

    for test, sql in ((pa.types.is_string, "VARCHAR"), (pa.types.is_large_string, "VARCHAR"),
                      (pa.types.is_int64, "BIGINT"), (pa.types.is_int32, "INTEGER"),
                      (pa.types.is_floating, "DOUBLE"), (pa.types.is_date, "DATE"), (pa.types.is_boolean, "BOOLEAN")):
        if test(arrow_type):
            return sql
    raise TypeError(f"no DuckDB type for Arrow type {arrow_type}")
