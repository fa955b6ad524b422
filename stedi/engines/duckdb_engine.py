"""The embedded default engine: DuckDB in the same process, spilling to the lake's temp folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import sqlglot.expressions as exp

from stedi.config import Config
from stedi.engines import duckdb_parse as parse
from stedi.engines.base import Engine, LandingLoad, Rejected, Written
from stedi.errors import InputError
from stedi.landing.locate import count_lines
from stedi.landing.sources import Source

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
        if self.lazy_landing:
            lines = parse.lines_sql([str(f) for f in files], f"_rejects_{source.name}").select(
                exp.alias_(exp.null(), "line"))
            typed = parse.render(parse.parsed_sql(source, lines))
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM ({typed}) WHERE ok")
            return LandingLoad(source.name, -1, -1, [])
        parsed = _ident(f"_parsed_{source.name}")
        rejected: list[Rejected] = []
        for index, path in enumerate(files):
            rejected += self._load_file(source, index, path, parsed, columns)
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM {parsed} WHERE ok")
        accepted = self.count(source.landing_table)
        return LandingLoad(source.name, accepted + len(rejected), accepted, rejected)

    def _load_file(self, source: Source, index: int, path: Path, parsed: str, columns: str) -> list[Rejected]:
        """Type one file's lines into the source's table; return its rejected lines."""
        rejects = f"_rejects_{source.name}_{index}"
        try:  # stored first, in file order: the row ids number the lines
            self.con.execute("SET preserve_insertion_order = true")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS {parse.render(parse.lines_sql([str(path)], rejects))}")
        except duckdb.IOException as e:
            raise InputError(f"{path}: cannot read: {e}") from None
        finally:
            # Elsewhere order is not needed, and keeping it halves the speed of typing lines.
            self.con.execute("SET preserve_insertion_order = false")
        lines = parse.numbered("_lines")
        typed = parse.render(parse.parsed_sql(source, lines))
        keep = f"SELECT {index} AS file_index, line, ok, CASE WHEN ok THEN NULL ELSE raw END AS raw, {columns} FROM ({typed})"
        if index == 0:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {parsed} AS {keep}")
        else:
            self.con.execute(f"INSERT INTO {parsed} {keep}")
        bad = self.con.execute(
            f"SELECT line, raw FROM {parsed} WHERE file_index = {index} AND NOT ok "
            f"UNION ALL {parse.render(parse.not_json_sql(lines))} ORDER BY line"
        ).fetchall()
        undecodable = self._undecodable(rejects)
        if bad and (undecodable or self.count("_lines") != count_lines(path)):
            # A lone carriage return or an undecodable line shifts the reader's rows off the
            # file's lines: leave these to be found by their text.
            return [Rejected(str(path), raw) for _, raw in bad] + undecodable
        return [Rejected(str(path), raw, line) for line, raw in bad] + undecodable

    def _undecodable(self, rejects: str) -> list[Rejected]:
        """Lines the reader could not decode (not UTF-8): numbered by the byte they start at."""
        try:
            rows = self.con.execute(
                f"SELECT s.file_path, e.byte_position, e.csv_line, e.error_message "
                f"FROM {rejects} e JOIN {rejects}_scan s USING (scan_id, file_id)"
            ).fetchall()
        except duckdb.CatalogException:
            return []
        found = []
        for path, byte_position, raw, message in rows:
            with open(path, "rb") as fh:
                line = fh.read(int(byte_position)).count(b"\n") + 1
            found.append(Rejected(path, raw, line, f"not UTF-8 text: {message}"))
        return found

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
            "(FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES '256MB', RETURN_FILES true)"
        ).fetchone()  # type: ignore[misc]
        paths = [Path(f) for f in files]
        schema = self.con.execute(f"SELECT * FROM read_parquet('{paths[0]}') LIMIT 0").to_arrow_table().schema
        kept = _drop_empty(paths) if rows else _drop_empty(paths, everything=True)
        self.register_parquet(name, [str(p) for p in kept], schema)
        return Written(kept, int(rows), schema)

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
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM read_parquet([{listed}])")
        else:
            empty = ", ".join(f"NULL::{_sql_type(f.type)} AS {_ident(f.name)}" for f in schema)
            self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT {empty} WHERE false")

    def count(self, name: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()[0])  # type: ignore[index]

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


def _drop_empty(paths: list[Path], everything: bool = False) -> list[Path]:
    """Files with rows; an empty result still writes one empty file, which a table need not hold."""
    import pyarrow.parquet as pq

    kept = []
    for p in paths:
        if everything or pq.ParquetFile(p).metadata.num_rows == 0:
            p.unlink()
        else:
            kept.append(p)
    return kept
