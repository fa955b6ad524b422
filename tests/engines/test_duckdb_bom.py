"""A file that starts with a UTF-8 byte order mark: JSON has none, so its first line is
quarantined (shown with the mark), however many other files are read along with it. DuckDB's
reader skipped the mark when it read several files at once, and a line of only the mark
vanished from the counts."""

from __future__ import annotations

from pathlib import Path

from stedi.config import Config
from stedi.storage.landing_file import LandingFile
from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.landing.sources import ACCELEROMETER

R = b'{"user":"a@x.com","timestamp":1,"x":1,"y":2,"z":3}'
BOM = b"\xef\xbb\xbf"


def test_the_first_line_of_a_file_with_a_byte_order_mark_is_quarantined(tmp_path: Path) -> None:
    files = {"ok.json": R + b"\n", "bom.json": BOM + R + b"\n" + R + b"\n", "bom-blank.json": BOM + b"\r\n" + R,
             "bom-only.json": BOM}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    engine = DuckDBEngine(Config())
    try:
        load = engine.load_landing(ACCELEROMETER, [LandingFile(str(tmp_path / n)) for n in files])
        rows = engine.rows("SELECT count(*) FROM accelerometer_landing")
    finally:
        engine.close()
    assert sorted((Path(r.file).name, r.line, r.raw[:1], "BOM" in (r.reason or "")) for r in load.rejected) == [
        ("bom-blank.json", 1, "\ufeff", True), ("bom-only.json", 1, "\ufeff", True), ("bom.json", 1, "\ufeff", True)]
    assert (load.lines_read, load.accepted, rows) == (6, 3, [(3,)])
