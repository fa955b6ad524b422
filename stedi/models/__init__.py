"""The SQL transforms: one SELECT per derived table, one .sql file each, one folder per layer.

staging/  views shared by several tables, never stored
trusted/  Iceberg tables of the trusted zone
curated/  Iceberg tables of the curated zone

Each file is DuckDB SQL over tables named as in the lake. Its inputs are read from the
SQL itself, so the build order needs no separate declaration. `run_parameters` is a
one-row input (consent_policy, pseudonym_key) that the pipeline provides.

Each column of a stored model says what it is in a `-- doc:` comment after it
(stedi/models/column_docs.py); `table_docs` gathers those of every table of the lake, landing
and quarantine included, for the Iceberg field docs, `stedi tables --columns` and the Athena DDL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import sqlglot
from sqlglot import exp

from stedi.lake import TABLE_LOCATIONS
from stedi.landing import quarantine
from stedi.landing.sources import SOURCES
from stedi.models.column_docs import parse_columns

LAYERS = ("staging", "trusted", "curated")
PARAMETERS = "run_parameters"


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    sql: str
    inputs: tuple[str, ...]  # tables it reads, the first being its main input
    # Each output column's description (its `-- doc:` comment), in output order (a dict: not hashed).
    columns: dict[str, str] = field(default_factory=dict, hash=False)
    problems: tuple[str, ...] = ()  # what is wrong with those descriptions (tests/models/test_column_docs.py)

    @property
    def stored(self) -> bool:
        return self.layer != "staging"


def _inputs(tree: exp.Expression) -> tuple[str, ...]:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names: list[str] = []
    for table in tree.find_all(exp.Table):  # in order of appearance: the main FROM first
        if table.name not in ctes and table.name not in names and table.name != PARAMETERS:
            names.append(table.name)
    return tuple(names)


@cache
def all_models() -> tuple[Model, ...]:
    """Every model, in an order where each comes after the models it reads."""
    found: dict[str, Model] = {}
    root = resources.files(__package__)
    for layer in LAYERS:
        for entry in sorted(root.joinpath(layer).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                sql = entry.read_text(encoding="utf-8")
                name = entry.name[: -len(".sql")]
                tree = sqlglot.parse_one(sql, read="duckdb")
                columns, problems = parse_columns(tree, sql, f"stedi/models/{layer}/{entry.name}", layer != "staging")
                found[name] = Model(name, layer, sql, _inputs(tree), columns, tuple(problems))
    ordered: list[Model] = []
    visiting: set[str] = set()

    def visit(model: Model) -> None:
        if model in ordered:
            return
        if model.name in visiting:
            raise ValueError(f"models read each other in a cycle: {model.name}")
        visiting.add(model.name)
        for name in model.inputs:
            if name in found:
                visit(found[name])
        ordered.append(model)

    for model in found.values():
        visit(model)
    return tuple(ordered)


def model(name: str) -> Model:
    return next(m for m in all_models() if m.name == name)


def table_docs() -> dict[str, dict[str, str]]:
    """What each column of every table of the lake is (table: column: description): the landing
    and accepted tables' from their sources' fields, the quarantine's, and each stored model's."""
    docs: dict[str, dict[str, str]] = {}
    for source in SOURCES.values():
        docs[source.landing_table] = docs[f"{source.name}_accepted"] = source.docs
    docs["quarantine"] = dict(quarantine.DOCS)
    docs.update({m.name: m.columns for m in all_models() if m.stored})
    return {name: docs[name] for name in TABLE_LOCATIONS if name in docs}
