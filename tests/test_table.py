"""A table you can ask for less of (stedi/table.py, stedi/table_filter.py, stedi/provenance.py).

One small generated lake, two runs: 30 customers, then 10 more. Every read is checked against
a plain DuckDB read of the same table's Parquet files (the snapshot's, by pyiceberg), and every
filter is tried as a careless or hostile notebook user would type it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from pyiceberg.expressions import And, EqualTo, GreaterThanOrEqual, In, IsNull

from stedi import Lakehouse, StediError
from stedi.store.iceberg_store import IcebergStore

ML = "machine_learning_curated"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lakehouse, list[str]]:
    """The lake and its two runs' ids."""
    from stedi.generate import generate

    folder = tmp_path_factory.mktemp("table")
    generate(folder / "first", customers=30, seed=5)
    generate(folder / "second", customers=10, seed=6)
    house = Lakehouse(folder / "lake", create=True)
    runs = []
    for delivery in ("first", "second"):
        house.ingest(folder / delivery)
        runs.append(house.run().run_id)
    return house, runs


def plain(house: Lakehouse, name: str, sql: str = "SELECT * FROM t", snapshot_id: int | None = None) -> list[tuple]:
    """`sql` over the table's files (as `t`) with DuckDB alone, rows sorted."""
    table = house.committed(name)
    assert table is not None
    files = IcebergStore.data_files(name, table, snapshot_id)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({files!r})")
    return sorted(con.execute(sql).fetchall(), key=repr)


def rows(table: pa.Table) -> list[tuple]:
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)


def a_key(house: Lakehouse) -> str:
    return plain(house, ML, "SELECT min(customer_key) FROM t")[0][0]


def test_columns_and_filter_read_the_rows_duckdb_reads(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    t = house.table(ML)
    key = a_key(house)
    assert rows(t.to_arrow()) == plain(house, ML)
    got = t.to_arrow(columns=["x", "customer_key"], filter=f"customer_key = '{key}' AND sensorreadingtime >= 0")
    assert got.column_names == ["x", "customer_key"]
    expected = plain(house, ML, f"SELECT x, customer_key FROM t WHERE customer_key = '{key}'")
    assert rows(got) == expected and 0 < len(expected) < len(t)
    # The same filter as a pyiceberg expression; a column named in another case is the column.
    as_expression = t.to_arrow(columns=["X", "customer_key"], filter=And(EqualTo("customer_key", key),
                                                                         GreaterThanOrEqual("sensorreadingtime", 0)))
    assert rows(as_expression) == expected
    # columns="x" is one column, not three letters
    assert t.to_arrow(columns="x").column_names == ["x"]


def test_a_filter_on_a_column_not_read_and_nulls(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    customers = house.table("customer_trusted")
    got = customers.to_arrow(columns=["email"], filter="sharewithpublicasofdate IS NULL")
    assert rows(got) == plain(house, "customer_trusted", "SELECT email FROM t WHERE sharewithpublicasofdate IS NULL")
    assert got.num_rows > 0
    assert rows(customers.to_arrow(columns=["email"], filter=IsNull("sharewithpublicasofdate"))) == rows(got)
    emails = [r[0] for r in plain(house, "customer_trusted", "SELECT email FROM t")][:2]
    assert rows(customers.to_arrow(columns=["email"], filter=In("email", set(emails)))) == [(e,) for e in emails]


@pytest.mark.parametrize("hostile", [
    "1=1; DROP TABLE machine_learning_curated",
    "customer_key IN (SELECT customer_key FROM read_csv('/etc/passwd'))",
    "customer_key IN (FROM read_csv('/etc/passwd'))",
    "length(customer_key) > (SELECT count(*) FROM read_text('/etc/passwd'))",
    "read_text('/etc/passwd') IS NOT NULL",
    "EXISTS (SELECT 1 FROM customer_trusted)",
    "customer_key = (SELECT email FROM customer_trusted LIMIT 1)",
    "customer_trusted.email = 'a'",
    "query('SELECT 1') IS NULL",
    "getenv('HOME') IS NOT NULL",
    "x = 1) UNION ALL (SELECT * FROM read_csv('/etc/passwd')",
    "x = 1 --\n; COPY machine_learning_curated TO '/tmp/stolen.csv'",
    "SELECT 1",
    "",
    "nope = 1",
])
def test_a_hostile_filter_is_refused_in_one_line(lake: tuple[Lakehouse, list[str]], hostile: str) -> None:
    house, _ = lake
    with pytest.raises(StediError) as refused:
        house.table(ML).to_arrow(filter=hostile)
    assert "\n" not in str(refused.value) and ML in str(refused.value)
    assert not Path("/tmp/stolen.csv").exists()


def test_quotes_and_comments_stay_values(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    t = house.table(ML)
    assert t.to_arrow(filter="customer_key = 'o''brien'").num_rows == 0
    assert t.to_arrow(filter=EqualTo("customer_key", "o'brien; DROP TABLE x --")).num_rows == 0
    # A comment ends the filter: what follows it is never read as SQL.
    assert t.to_arrow(filter="customer_key = 'none' -- OR 1=1").num_rows == 0
    assert t.to_arrow(filter="customer_key = 'none' /* OR 1=1 */").num_rows == 0
    # A value pasted into the string by hand can still change the condition (why the docstring
    # says to pass values as a pyiceberg expression), but only over this table's own rows.
    pasted = "x' OR 'a'='a"
    assert t.to_arrow(filter=f"customer_key = '{pasted}'").num_rows == len(t)


def test_unknown_columns_are_named_with_the_tables(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    t = house.table(ML)
    for call in (lambda: t.to_arrow(columns=["customer_key", "email"]), lambda: t.to_pandas(filter="email = 'a'"),
                 lambda: t.to_arrow(filter=EqualTo("email", "a"))):
        with pytest.raises(StediError, match=r"no column 'email'.*customer_key, sensorreadingtime"):
            call()
    with pytest.raises(StediError, match="not DataFrame"):
        t.to_arrow(filter=pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(StediError, match="Could not convert string 'abc'"):
        t.to_arrow(filter="x > 'abc'")


def test_nullable_integers_stay_integers(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    df = house.table("customer_trusted").to_pandas()
    column = df["sharewithpublicasofdate"]
    assert str(column.dtype) == "Int64" and column.isna().sum() > 0
    expected = plain(house, "customer_trusted", "SELECT sharewithpublicasofdate FROM t")
    assert sorted([(None if pd.isna(v) else int(v),) for v in column], key=repr) == expected
    assert str(house.table(ML).to_pandas(columns=["sensorreadingtime"]).dtypes.iloc[0]) == "Int64"


def test_head_len_schema_and_polars(lake: tuple[Lakehouse, list[str]]) -> None:
    import polars as pl

    house, _ = lake
    t = house.table(ML)
    assert len(t) == len(plain(house, ML))
    head = t.head(3)
    assert isinstance(head, pd.DataFrame) and len(head) == 3 and len(t.head(0)) == 0
    with pytest.raises(StediError, match="number of rows"):
        t.head(-1)
    assert t.schema.names == t.to_arrow().column_names == list(head.columns)
    assert [f.type for f in t.schema] == [f.type for f in t.to_arrow().schema]
    frame = t.to_polars(columns=["customer_key", "x"], filter=f"customer_key = '{a_key(house)}'")
    assert isinstance(frame, pl.DataFrame) and frame.columns == ["customer_key", "x"]
    assert sorted(frame.rows(), key=repr) == plain(house, ML, f"SELECT customer_key, x FROM t WHERE customer_key = "
                                                              f"'{a_key(house)}'")


def test_to_polars_without_polars_says_what_to_install(lake: tuple[Lakehouse, list[str]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    house, _ = lake
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars raises ImportError
    with pytest.raises(StediError, match=r"pip install 'stedi\[polars\]'"):
        house.table(ML).to_polars()


def test_a_field_doc_reaches_the_arrow_schema() -> None:
    """pyiceberg's schema -> Arrow conversion, as .schema uses it, keeps a field's doc."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField, StringType

    from stedi.table import _arrow_schema, _Snapshot

    class Unversioned:
        def schema(self) -> Schema:
            return Schema(NestedField(1, "customer_key", StringType(), doc="a keyed hash of the email"),
                          NestedField(2, "sensorreadingtime", LongType()))

    schema = _arrow_schema(_Snapshot(Unversioned(), None, {}, None))  # type: ignore[arg-type]
    assert schema.field("customer_key").metadata == {b"doc": b"a keyed hash of the email"}
    assert schema.field("customer_key").type == pa.string() and not schema.field("sensorreadingtime").metadata


def test_len_repr_and_schema_read_no_data(lake: tuple[Lakehouse, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    house, runs = lake
    expected = len(plain(house, ML))

    def no_data(*args: object, **kwargs: object) -> None:
        raise AssertionError("read data files")

    monkeypatch.setattr("stedi.table._read_files", no_data)
    monkeypatch.setattr(IcebergStore, "data_files", no_data)
    t = house.table(ML)
    assert len(t) == expected
    assert repr(t) == f"<Table {ML} as of run {runs[1]}: {expected:,} rows>"
    assert t.schema.names[:2] == ["customer_key", "sensorreadingtime"]
    first = house.table(ML, as_of=runs[0])
    assert re.fullmatch(rf"<Table {ML} as of {runs[0]}: [\d,]+ rows>", repr(first))
    assert len(first) < expected


def test_provenance_of_every_arrow_result(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    state = house.lake.state()
    assert state is not None
    meta = house.table(ML).to_arrow(columns=["x"]).schema.metadata
    assert meta[b"stedi.run_id"].decode() == runs[1] == state.run_id
    assert json.loads(meta[b"stedi.snapshot_ids"]) == {ML: state.tables[ML].snapshot_id}
    assert meta[b"stedi.consent_policy"].decode() == state.consent_policy == "strict"
    assert b"stedi.as_of" not in meta
    queried = house.query(f"SELECT count(*) FROM {ML} JOIN customer_curated ON true").schema.metadata
    assert json.loads(queried[b"stedi.snapshot_ids"]) == {
        ML: state.tables[ML].snapshot_id, "customer_curated": state.tables["customer_curated"].snapshot_id}
    past = house.table(ML, as_of=runs[0]).to_arrow().schema.metadata
    assert (past[b"stedi.run_id"].decode(), past[b"stedi.as_of"].decode()) == (runs[0], runs[0])
    assert json.loads(past[b"stedi.snapshot_ids"])[ML] != state.tables[ML].snapshot_id
    assert house.query("SELECT 1 AS one", as_of=runs[0]).schema.metadata[b"stedi.run_id"].decode() == runs[0]


def test_as_of_with_columns_and_filter(lake: tuple[Lakehouse, list[str]]) -> None:
    house, runs = lake
    first = house.table(ML, as_of=runs[0])
    snapshot = json.loads(first.to_arrow().schema.metadata[b"stedi.snapshot_ids"])[ML]
    then = plain(house, ML, "SELECT customer_key, sensorreadingtime FROM t", snapshot)
    now = plain(house, ML, "SELECT customer_key, sensorreadingtime FROM t")
    assert len(then) < len(now)
    assert rows(first.to_arrow(columns=["customer_key", "sensorreadingtime"])) == then
    key = then[-1][0]
    assert rows(first.to_arrow(columns=["customer_key", "sensorreadingtime"], filter=EqualTo("customer_key", key))) == [
        r for r in then if r[0] == key]
    with pytest.raises(TypeError):
        house.table(ML, runs[0])  # type: ignore[misc]  # as_of is keyword-only


def test_a_landing_table_with_columns_and_filter(lake: tuple[Lakehouse, list[str]]) -> None:
    house, _ = lake
    landing = house.table("customer_landing")
    every = house.query("SELECT email, sharewithresearchasofdate FROM customer_landing")
    some = rows(every)[:3]
    emails = ", ".join(f"'{e}'" for e, _ in some)
    got = landing.to_arrow(columns=["email", "sharewithresearchasofdate"], filter=f"email IN ({emails})")
    assert rows(got) == sorted([r for r in rows(every) if r[0] in {e for e, _ in some}], key=repr)
    assert len(landing) == every.num_rows
    assert landing.schema.names == landing.to_arrow().column_names
    assert str(landing.to_pandas(columns=["sharewithresearchasofdate"]).dtypes.iloc[0]) == "Int64"
    assert "landing files" in repr(landing)
    with pytest.raises(StediError, match="read_csv"):
        landing.to_arrow(filter="email IN (SELECT * FROM read_csv('/etc/passwd'))")


def test_the_training_table_is_written_sorted_for_skipping(lake: tuple[Lakehouse, list[str]]) -> None:
    """Each of its files, the full build's and the incremental run's, sorted by customer_key, then
    sensorreadingtime: their row groups' min/max let a customer's filter skip the others."""
    house, _ = lake
    table = house.committed(ML)
    assert table is not None
    files = IcebergStore.data_files(ML, table)
    assert len(files) >= 2  # the first run's file, and the second run's new rows
    con = duckdb.connect()
    for path in files:
        read = con.execute(f"SELECT customer_key, sensorreadingtime FROM read_parquet('{path}')").fetchall()
        assert read == sorted(read), path
