"""Run floor.sql: `python benchmarks/floor.py LANDING OUT [strict|any-time]`."""

import sys
from pathlib import Path

import duckdb

landing, out = Path(sys.argv[1]).absolute(), Path(sys.argv[2]).absolute()
policy = sys.argv[3] if len(sys.argv) > 3 else "strict"
out.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
for name, value in {"landing": str(landing), "out": str(out), "policy": policy, "key": "0" * 64}.items():
    con.execute(f"SET VARIABLE {name} = '{value}'")
con.execute((Path(__file__).parent / "floor.sql").read_text())
