"""What Athena (Trino, through Glue) sees while a run commits: a real `stedi run` in S3, held at
each progress line of its commit window (tests/commit/paused_cli.py), read by Trino at each. Glue
names each table's newest commit, so a table reads either as the last run left it or as the new
run makes it, never half of a commit; until the run's commit point, tables already committed read
new next to tables still old (docs/aws.md, "While a run commits")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stedi import Lakehouse
from stedi.generate import generate
from stedi.query import STORED
from tests.trino_server import TrinoServer

ROOT = Path(__file__).resolve().parents[2]


def trino_view(trino: TrinoServer, database: str, versions: dict[str, int] | None = None) -> dict[str, tuple[int, str]]:
    """Every Iceberg table as Trino reads it (at the snapshot `versions` names, if given): its
    rows and a checksum of all their columns, in one query (Trino's checksum ignores row order)."""
    _, columns = trino.query(f"""SELECT table_name, column_name FROM iceberg.information_schema.columns
                                 WHERE table_schema = '{database}' ORDER BY ordinal_position""")
    names: dict[str, list[str]] = {}
    for table, column in columns:
        names.setdefault(table, []).append(f'"{column}"')
    sql = " UNION ALL ".join(
        f"""SELECT '{table}', count(*), to_hex(checksum(ROW({", ".join(names[table])})))
            FROM iceberg."{database}"."{table}\"{f" FOR VERSION AS OF {versions[table]}" if versions else ""}"""
        for table in STORED)
    return {table: (rows, checksum) for table, rows, checksum in trino.query(sql)[1]}


def test_athena_sees_each_table_as_the_last_run_left_it_or_as_the_new_run_makes_it(
        bucket, trino, tmp_path: Path) -> None:
    generate(tmp_path / "delivery", customers=25, seed=5)
    house = Lakehouse(f"s3://{bucket}/lake", create=True)
    house.ingest(tmp_path / "delivery")
    house.run(consent_policy="any-time")
    database = house.lake.config.glue_database
    before = trino_view(trino, database)

    go_read, go = os.pipe()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STEDI_TEST_GO_FD": str(go_read)}
    run = subprocess.Popen([sys.executable, "-m", "tests.commit.paused_cli", "run", "--lake", house.path,
                            "--consent-policy", "strict"], cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, env=env, pass_fds=(go_read,))
    os.close(go_read)
    assert run.stderr is not None
    seen: list[tuple[str, list[str], dict]] = []  # (moment, tables committed by then, Trino's view)
    pinned = {}  # Trino's view at the snapshots `stedi tables` shows, at the last moment
    committed: list[str] = []
    try:
        for text in run.stderr:
            if "committing " in text or "making the run visible" in text:
                seen.append((text.strip(), list(committed), trino_view(trino, database)))
                if "making the run visible" in text:
                    shown = {t.name: t.snapshot_id for t in house.tables()}  # what `stedi tables` shows
                    pinned = trino_view(trino, database, {t: shown[t] for t in STORED})
                if "committing " in text:
                    committed.append(text.split("committing ", 1)[1].strip())
            os.write(go, b"x")
    finally:
        os.close(go)
    assert run.wait(timeout=120) == 0
    after = trino_view(trino, database)

    changed = [table for table in STORED if before[table] != after[table]]
    assert len(changed) >= 2 and set(changed) <= set(committed)  # a window with tables of two runs
    for moment, done, view in seen:
        expected = {table: after[table] if table in done else before[table] for table in STORED}
        assert view == expected, moment
    assert any(before[t] != view[t] for _, _, view in seen for t in changed)  # seen inside the window
    assert any(before[t] == view[t] for _, _, view in seen for t in changed)
    # Read at the snapshots of the last complete run (`stedi tables`), every table is of that run.
    assert pinned == before
