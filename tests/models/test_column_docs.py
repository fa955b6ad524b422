"""Every column says what it is: the `-- doc:` comments of the models (stedi/models/column_docs.py),
checked against the columns the models really output, and the parse on hand-written SQL."""

from __future__ import annotations

import re
from pathlib import Path

import sqlglot

from stedi.engines.describe import table_columns
from stedi.lake import TABLE_LOCATIONS
from stedi.models import all_models, table_docs
from stedi.models.column_docs import parse_columns

ROOT = Path(__file__).resolve().parents[2]


def parsed(sql: str, required: bool = True) -> tuple[dict[str, str], list[str]]:
    return parse_columns(sqlglot.parse_one(sql, read="duckdb"), sql, "x.sql", required)


def test_each_column_gets_the_doc_comment_on_its_line() -> None:
    sql = """-- a header comment, no doc
WITH k AS (SELECT 1 AS a)  -- a CTE's comment is not a doc
SELECT DISTINCT
    k.a,  -- doc: the first, with a comma, and 'quotes'
    sha256(k.a::VARCHAR) AS key,  -- DOC: the second
    k.a + 1 AS b  /* doc: the third */
FROM k
"""
    assert parsed(sql) == ({"a": "the first, with a comma, and 'quotes'", "key": "the second", "b": "the third"}, [])


def test_a_column_without_a_doc_is_named_with_its_file() -> None:
    columns, problems = parsed("SELECT a,  -- doc: A\n    b\nFROM t")
    assert columns == {"a": "A"}
    assert problems == ["x.sql: column b has no description; add `-- doc: what it is` after it"]
    assert parsed("SELECT a,  -- doc: A\n    b\nFROM t", required=False) == ({"a": "A"}, [])


def test_a_doc_that_documents_no_output_column_is_refused() -> None:
    # In a CTE, or on the FROM line: a column the model does not output.
    for sql in ("WITH k AS (SELECT 1 AS a  -- doc: inner\n) SELECT a  -- doc: A\nFROM k",
                "SELECT a  -- doc: A\nFROM t  -- doc: nothing\nWHERE a > 1"):
        columns, problems = parsed(sql)
        assert columns == {"a": "A"}, sql
        assert len(problems) == 1 and "is not on a column of the outermost SELECT" in problems[0], sql


def test_a_doc_on_a_line_of_its_own_or_twice_is_refused() -> None:
    _, problems = parsed("SELECT\n    -- doc: above\n    a  -- doc: after\nFROM t")
    assert any("x.sql:2: a doc comment stands on a line of its own" in p for p in problems)
    assert any("column a has 2 doc comments" in p for p in problems)
    _, problems = parsed("SELECT a  -- doc:\nFROM t")
    assert problems == ["x.sql: column a has an empty or multi-line doc comment; say in one line what it is"]


def test_select_star_cannot_be_described() -> None:
    _, problems = parsed("SELECT * FROM t")
    assert problems == ["x.sql: SELECT * outputs columns that cannot be described; name each column"]


def test_every_stored_model_describes_exactly_the_columns_it_outputs() -> None:
    described = table_columns()  # what DuckDB says each model outputs, run on empty inputs
    for model in all_models():
        assert not model.problems, model.problems
        if model.stored:
            where = f"stedi/models/{model.layer}/{model.name}.sql"
            outputs = [name for name, _ in described[model.name]]
            assert list(model.columns) == outputs, f"{where}: described {list(model.columns)}, outputs {outputs}"


def test_every_table_of_the_lake_has_a_description_for_every_column() -> None:
    docs, described = table_docs(), table_columns()
    assert set(docs) == set(TABLE_LOCATIONS)
    for name, columns in described.items():
        assert list(docs[name]) == [c for c, _ in columns], name
        assert all(docs[name].values()), name
    for name in ("customer_accepted", "accelerometer_accepted", "step_trainer_accepted"):
        assert docs[name] == docs[name.replace("_accepted", "_landing")]


def test_times_say_their_unit_and_the_key_says_what_it_is() -> None:
    docs = table_docs()
    times = {"sensorreadingtime", "timestamp", "registrationdate", "lastupdatedate", "sharewithresearchasofdate",
             "sharewithpublicasofdate", "sharewithfriendsasofdate"}
    for name, columns in docs.items():
        for column in times & set(columns):
            assert "epoch milliseconds" in columns[column], (name, column)
    assert "SHA-256" in docs["machine_learning_curated"]["customer_key"]
    assert "secret key" in docs["machine_learning_curated"]["customer_key"]
    assert "customer_key" not in docs["customer_curated"]
    assert "cannot be joined back to a person by its key" in docs["customer_curated"]["email"]


BEGIN, END = "<!-- columns: generated from the declarations -->", "<!-- end of columns -->"


def columns_section() -> str:
    """docs/tables.md's "What each column is", made from the declarations (accepted tables, whose
    columns are their landing tables', are not repeated)."""
    parts = []
    for table, columns in table_docs().items():
        if not table.endswith("_accepted"):
            rows = "".join(f"| `{column}` | {doc} |\n" for column, doc in columns.items())
            parts.append(f"### {table}\n\n| column | what it is |\n|---|---|\n{rows}")
    return "\n".join(parts)


def test_docs_tables_md_agrees_with_the_declarations() -> None:
    page = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    assert BEGIN in page and END in page, f"docs/tables.md: no {BEGIN} ... {END} section"
    shown = page[page.index(BEGIN) + len(BEGIN):page.index(END)].strip("\n")
    assert shown == columns_section().strip("\n"), (
        "docs/tables.md's columns differ from the models' declarations; put this between the markers:\n"
        + columns_section())
