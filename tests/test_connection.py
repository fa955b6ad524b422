"""Lakehouse.connect(): a DuckDB connection of the user's own. Their DataFrames and folders beside
the lake's tables; every way its SQL could write the lake, read its key or catalog, or widen its
own reach is refused (DuckDB 1.5.5), and the lake is byte for byte the same afterwards."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from stedi import Lakehouse
from stedi.errors import StediError
from stedi.store.iceberg_store import IcebergStore
from tests.api_lake import api_lake  # noqa: F401 (the fixture)


def lake_bytes(root: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    """A folder of the user's, beside the lake, with a CSV of labels."""
    (tmp_path / "labels.csv").write_text("customer_key,label\nnobody,walks\n")
    return tmp_path


def data_file(house: Lakehouse, name: str) -> str:
    table = house.committed(name)
    assert table is not None
    return IcebergStore.data_files(name, table)[0]


def test_a_dataframe_and_a_csv_of_ones_own_join_the_lake(api_lake: tuple[Lakehouse, list[str]], mine: Path) -> None:
    house, runs = api_lake
    con = house.connect(allow=mine)
    keys = [k for (k,) in con.execute("SELECT DISTINCT customer_key FROM machine_learning_curated "
                                      "ORDER BY customer_key LIMIT 2").fetchall()]
    con.register("labels", pd.DataFrame({"customer_key": keys, "label": ["walks", "runs"]}))
    assert con.execute("SELECT label, count(*) FROM machine_learning_curated JOIN labels USING (customer_key) "
                       "GROUP BY label ORDER BY label").fetchall() == [("runs", 2), ("walks", 2)]
    assert con.execute(f"SELECT count(*) FROM read_csv('{mine}/labels.csv')").fetchall() == [(1,)]
    con.execute(f"COPY (SELECT * FROM machine_learning_curated) TO '{mine}/training.parquet'")
    assert duckdb.sql(f"SELECT count(*) FROM '{mine}/training.parquet'").fetchall() == [(601,)]
    con.execute("CREATE TABLE mine AS SELECT customer_key FROM machine_learning_curated")
    assert con.execute("SELECT count(*) FROM customer_landing").fetchall() == [(301,)]
    con.execute("SET threads = 1")  # a setting of one's own still changes
    con.execute("SET memory_limit = '500MB'")
    assert house.connect(as_of=runs[0]).execute("SELECT count(*) FROM machine_learning_curated").fetchall() == [(600,)]


def test_dropping_or_replacing_a_view_changes_only_ones_own_connection(api_lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = api_lake
    con = house.connect()
    con.execute("DROP VIEW machine_learning_curated")
    con.execute("CREATE OR REPLACE VIEW customer_trusted AS SELECT 42 AS junk")
    assert con.execute("SELECT * FROM customer_trusted").fetchall() == [(42,)]
    other = house.connect()
    assert other.execute("SELECT count(*) FROM machine_learning_curated").fetchall() == [(601,)]
    assert house.query("SELECT count(*) AS n FROM customer_trusted").to_pylist() == [{"n": 301}]


# Each: SQL ({data}: a data file of customer_trusted, {landing}: a landing file, {lake}: the lake).
ATTACKS = {
    "overwrite a table's data file": "COPY (SELECT 42 AS junk) TO '{data}' (FORMAT parquet)",
    "overwrite it in place": "COPY (SELECT 42 AS junk) TO '{data}' (FORMAT parquet, USE_TMP_FILE false)",
    "overwrite it through the lake's files": "COPY (SELECT 42 AS junk) TO 'stedi-lake://{data}' (FORMAT parquet, USE_TMP_FILE false)",
    "overwrite a landing file in place": "COPY (SELECT 42 AS junk) TO '{landing}' (FORMAT json, USE_TMP_FILE false)",
    "overwrite it through the lake's files ": "COPY (SELECT 42 AS junk) TO 'stedi-lake://{landing}' (FORMAT json, USE_TMP_FILE false)",
    "write into the lake": "COPY (SELECT 42) TO '{lake}/extra.csv'",
    "write into it by ..": "COPY (SELECT 42) TO '{mine}/../{lake_name}/extra.csv'",
    "write partitions into it": "COPY (SELECT 42 AS a, 1 AS b) TO '{lake}/parts' (FORMAT parquet, PARTITION_BY (b))",
    "export the database into it": "EXPORT DATABASE '{lake}/export'",
    "attach the catalog": "ATTACH '{lake}/catalog.db' AS catalog (TYPE sqlite)",
    "attach the catalog as DuckDB": "ATTACH '{lake}/catalog.db' AS catalog",
    "attach a data file": "ATTACH '{data}' AS d",
    "attach it through the lake's files": "ATTACH 'stedi-lake://{data}' AS d",
    "read the pseudonym key": "SELECT * FROM read_text('{lake}/stedi.toml')",
    "read it through the lake's files": "SELECT * FROM read_text('stedi-lake://{lake}/stedi.toml')",
    "read the run records": "SELECT * FROM read_json('{lake}/runs/*.json')",
    "read the state": "SELECT * FROM read_text('stedi-lake://{lake}/state.json')",
    "list the lake": "SELECT * FROM glob('{lake}/**')",
    "list it through the lake's files": "SELECT * FROM glob('stedi-lake://{lake}/**')",
    "read another file": "SELECT * FROM read_text('/etc/passwd')",
    "reach the network": "SELECT * FROM read_csv('https://example.com/x.csv')",
    "reach a bucket": "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "make a secret": "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'k', SECRET 's')",
    "install an extension": "INSTALL sqlite",
    "load one": "LOAD httpfs",
    "open external access again": "SET enable_external_access = true",
    "widen the folders": "SET allowed_directories = ['{lake}/']",
    "widen the files": "SET allowed_paths = ['{lake}/stedi.toml']",
    "spill into the lake": "SET temp_directory = '{lake}/spill'",
    "log into the lake": "SET log_query_path = '{lake}/log.txt'",
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_sql_on_it_writes_the_lake_or_reads_beyond_its_tables(api_lake: tuple[Lakehouse, list[str]],
                                                                  mine: Path, attack: str) -> None:
    house, _ = api_lake
    before = lake_bytes(house.path)
    con = house.connect(allow=mine)
    landing = next(Path(house.path, "customer", "landing").rglob("*.json"))
    sql = ATTACKS[attack].format(data=data_file(house, "customer_trusted"), landing=landing, lake=house.path,
                                 mine=mine, lake_name=Path(house.path).name)
    with pytest.raises(duckdb.Error) as raised:
        con.execute(sql).fetchall()
    assert isinstance(raised.value, (duckdb.PermissionException, duckdb.InvalidInputException)) or (
        "the lake is read-only from this connection" in str(raised.value)), raised.value
    assert lake_bytes(house.path) == before
    assert con.execute("SELECT count(*) FROM customer_trusted").fetchall() == [(301,)]  # and it still reads


def test_it_holds_no_credential(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """On S3 the lake is read with the storage's own client, never a DuckDB secret: there is none."""
    house, _ = api_lake
    con = house.connect()
    try:
        assert con.execute("SELECT * FROM duckdb_secrets()").fetchall() == []
    except duckdb.PermissionException:  # DuckDB 1.5.5 looks for persistent secrets, which it may not
        pass


def test_python_variables_are_not_scanned_by_name(api_lake: tuple[Lakehouse, list[str]]) -> None:
    """DuckDB turns its scans of Python variables off with external access: register them by name."""
    house, _ = api_lake
    labels = pd.DataFrame({"customer_key": ["x"]})  # noqa: F841 (what the SQL names)
    with pytest.raises(duckdb.CatalogException):
        house.connect().execute("SELECT * FROM labels")


@pytest.mark.parametrize("where", ["{lake}", "{lake}/landing", "{lake}/..", "{lake}/../{name}/.", "s3://bucket/x",
                                   "{lake}/../nowhere"])
def test_allow_is_a_folder_of_ones_own_beside_the_lake(api_lake: tuple[Lakehouse, list[str]], where: str) -> None:
    house, _ = api_lake
    folder = where.format(lake=house.path, name=Path(house.path).name)
    with pytest.raises(StediError, match="allow") as raised:
        house.connect(allow=[folder])
    assert "\n" not in str(raised.value)
