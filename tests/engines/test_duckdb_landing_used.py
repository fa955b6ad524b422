"""The DuckDB engine lets go of a source's typed lines once its accepted rows are written: the
models then read `<source>_landing` from those Parquet files, which must give exactly the
accepted rows (never a rejected line, never a line of another source)."""

from __future__ import annotations

import json
from pathlib import Path

from stedi.config import Config
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.landing.sources import SOURCES
from stedi.storage.landing_file import LandingFile
from tests.conftest import customer, reading


def jsonl(path: Path, *lines: object) -> LandingFile:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return LandingFile(str(path))


def tables(engine: DuckDBEngine) -> set[str]:
    return {name for (name,) in engine.rows("SELECT table_name FROM duckdb_tables()")}


def test_the_landing_view_reads_the_accepted_files_once_they_are_written(tmp_path: Path) -> None:
    engine = DuckDBEngine(Config(), temp_dir=tmp_path)
    try:
        readings = jsonl(tmp_path / "a.json", reading("a@x.com", 1, x=0.5), '{"user": "a@x.com", "timestamp": "2"}',
                         "not json", reading("b@x.com", 3), '{"user": "a@x.com", "timestamp": 4, "x": 1,}')
        load = engine.load_landing(SOURCES["accelerometer"], [readings])
        engine.load_landing(SOURCES["customer"], [jsonl(tmp_path / "c.json", customer("a@x.com", "s1"))])
        assert (load.lines_read, load.accepted, len(load.rejected)) == (5, 2, 3)
        written = engine.write_parquet("new_accelerometer", "SELECT * FROM accelerometer_landing",
                                       str(tmp_path / "accepted"))
        engine.landing_used("accelerometer", "new_accelerometer")
        assert "_parsed_accelerometer" not in tables(engine)  # its memory is free for the models
        assert "_parsed_customer" in tables(engine)  # still to be written
        Path(readings.path).unlink()  # the rows now come from the accepted files alone
        assert written.rows == 2
        assert sorted(engine.rows("SELECT * FROM accelerometer_landing")) == [
            ("a@x.com", 1, 0.5, 0.0, 0.0), ("b@x.com", 3, 0.0, 0.0, 0.0)]
        assert engine.rows("SELECT count(*) FROM customer_landing") == [(1,)]
    finally:
        engine.close()


def test_a_source_with_no_accepted_line_reads_as_empty_with_its_columns(tmp_path: Path) -> None:
    engine = DuckDBEngine(Config(), temp_dir=tmp_path)
    try:
        engine.load_landing(SOURCES["accelerometer"], [jsonl(tmp_path / "a.json", "{", '{"user": 1}')])
        written = engine.write_parquet("new_accelerometer", "SELECT * FROM accelerometer_landing",
                                       str(tmp_path / "accepted"))
        engine.landing_used("accelerometer", "new_accelerometer")
        assert written.rows == 0 and "_parsed_accelerometer" not in tables(engine)
        assert engine.rows("SELECT count(*) FROM accelerometer_landing") == [(0,)]
        assert [c for c, *_ in engine.rows("DESCRIBE accelerometer_landing")] == ["user", "timestamp", "x", "y", "z"]
    finally:
        engine.close()
