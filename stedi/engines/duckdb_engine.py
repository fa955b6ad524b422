"""The embedded default engine: DuckDB in the same process, spilling to the lake's temp folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from stedi.config import Config
from stedi.engines import duckdb_parse as parse
from stedi.engines.base import Engine, LandingLoad, Rejected, Written
from stedi.errors import InputError
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
        # Queries only look at landing tables now and then: parse them when read, not up front.
        self.lazy_landing = lazy_landing

    def load_landing(self, source: Source, files: list[Path]) -> LandingLoad:
        parsed = f"_parsed_{source.name}"
        view = _ident(source.landing_table)
        if not files:
            empty = ", ".join(f"NULL::{f.type.sql_type} AS {_ident(f.column)}" for f in source.fields)
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {empty} WHERE false")
            return LandingLoad(source.name, 0, 0, [])
        rejects = f"_rejects_{source.name}"
        lines = parse.lines_sql([str(f) for f in files], rejects).subquery("lines")
        typed = parse.render(parse.parsed_sql(source, lines))  # type: ignore[arg-type]
        columns = ", ".join(_ident(c) for c in source.columns)
        if self.lazy_landing:
            self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM ({typed}) WHERE ok")
            return LandingLoad(source.name, -1, -1, [])
        # Keep the raw text only of rejected lines: accepted ones are in the typed columns.
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {parsed} AS "
                f"SELECT file, CASE WHEN ok THEN NULL ELSE raw END AS raw, ok, {columns} FROM ({typed})"
            )
        except duckdb.IOException as e:
            raise InputError(f"cannot read {source.name} landing files: {e}") from None
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM {parsed} WHERE ok")
        accepted = self.count(source.landing_table)
        rejected = [
            Rejected(file, raw)
            for file, raw in self.con.execute(f"SELECT file, raw FROM {parsed} WHERE NOT ok").fetchall()
        ]
        rejected += self._undecodable(rejects)
        return LandingLoad(source.name, accepted + len(rejected), accepted, rejected)

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
        select = ", ".join(f"? AS {_ident(k)}" for k in values)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE run_parameters AS SELECT {select}", list(values.values()))

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

    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM read_parquet([{listed}])")
        else:
            self.con.register(f"_empty_{name}", schema.empty_table())
            self.con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS SELECT * FROM {_ident('_empty_' + name)}")

    def count(self, name: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()[0])  # type: ignore[index]

    def arrow(self, sql: str) -> "pa.Table":
        return self.con.execute(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


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
