"""The lineage of the lake's tables: which table feeds which, and by what rule.

Derived, never kept by hand: the edges between models come from each model's SQL (sqlglot
syntax trees), the edges out of landing from the landing sources. Each edge carries the SQL
condition its model applies to that input and a short phrase for people, built from a small
vocabulary of column meanings (lineage_words.py); a predicate the vocabulary has no words for
reads as its SQL, so a model added tomorrow still gets a true label.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp

from stedi import models
from stedi.lake import TABLE_LOCATIONS, zone_of
from stedi.landing.sources import SOURCES
from stedi.report.lineage_words import DIALECT, conjuncts, describe, grouping

__all__ = ["Edge", "Lineage", "Node", "describe", "lineage", "lineage_from_dict"]


@dataclass(frozen=True)
class Node:
    name: str
    zone: str  # landing, staging, trusted, curated, quarantine; "external" for a table not of the lake
    kind: str  # "view" (computed when read) or "table" (stored)
    description: str


@dataclass(frozen=True)
class Edge:
    number: int  # 1, 2, ... in a stable order: landing first, then the models in build order
    source: str
    target: str
    rule: str  # a short phrase: "same customer and same millisecond"
    condition: str  # the SQL it comes from, as sqlglot renders it; "" where no SQL decides

    @property
    def badge(self) -> str:
        """The number as a circled digit, ① to ⑳, for a list beside the drawing; "(21)" beyond."""
        return chr(0x2460 + self.number - 1) if 1 <= self.number <= 20 else f"({self.number})"


@dataclass(frozen=True)
class Lineage:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def edges_into(self, name: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == name)


def lineage() -> Lineage:
    """The lineage of the current models (cached per set of models)."""
    return _lineage_of(models.all_models())


# ---- reading a model's SQL: which tables it reads, under which conditions ---------------------

Part = tuple[str, str]  # (phrase, SQL) of one condition applied to an input


def _reads(query: exp.Expression, ctes: dict[str, exp.Expression]) -> dict[str, list[Part]]:
    """The tables a query reads, through CTEs and subqueries, each with the conditions the query
    applies to it: a joined input its ON, the main input the WHERE, DISTINCT and grouping."""
    if not isinstance(query, exp.Select) or query.args.get("from_") is None:
        return {}  # UNION and other shapes: the caller still draws their inputs
    ctes = {**ctes, **{cte.alias: cte.this for cte in query.ctes}}
    main = query.args["from_"].this
    all_joins = query.args.get("joins") or []
    joins = [j for j in all_joins if j.this.name != models.PARAMETERS]  # a parameter, not an input
    parameters = {j.this.alias_or_name for j in all_joins if j.this.name == models.PARAMETERS}
    parts: dict[int, list[Part]] = {id(main): []}
    by_alias = {j.this.alias_or_name: j.this for j in joins}
    for join in joins:
        parts[id(join.this)] = [_join_part(join, main)]
    where = query.args.get("where")
    main_filter = []
    for conjunct in conjuncts(where.this) if where else []:
        # A conjunct on one joined input's columns alone filters that input; any other, the main one.
        aliases = {c.table for c in conjunct.find_all(exp.Column)} - {""} - parameters
        if len(aliases) == 1 and (alias := aliases.pop()) in by_alias:
            parts[id(by_alias[alias])].append((describe(conjunct), conjunct.sql(DIALECT)))
        else:
            main_filter.append(_inline_windows(conjunct, main))
    if main_filter:
        condition = exp.and_(*main_filter)
        parts[id(main)].append((describe(condition), condition.sql(DIALECT)))
    if query.args.get("distinct"):
        parts[id(main)].append(("each row once", "DISTINCT"))
    if group := query.args.get("group"):
        having = query.args.get("having")
        sql = " ".join(node.sql(DIALECT) for node in (group, having) if node)
        parts[id(main)].append((grouping(group, having, main.name) or sql, sql))
    reads: dict[str, list[Part]] = {}
    for source in [main] + [j.this for j in joins]:
        for table, inner in _source_reads(source, ctes).items():
            reads.setdefault(table, []).extend(inner + parts[id(source)])
    for exists in where.find_all(exp.Exists) if where else []:
        if exists.find_ancestor(exp.Select) is not query:
            continue  # an EXISTS inside a subquery: that subquery's own reading
        for table, inner in _reads(exists.this, ctes).items():
            reads.setdefault(table, []).extend(inner + [("existence check only", "")])
    return reads


def _source_reads(source: exp.Expression, ctes: dict[str, exp.Expression]) -> dict[str, list[Part]]:
    if isinstance(source, exp.Table) and source.name in ctes:
        return _reads(ctes[source.name], {k: v for k, v in ctes.items() if k != source.name})
    if isinstance(source, exp.Table):
        return {source.name: []}
    if isinstance(source, exp.Subquery):
        return _reads(source.this, ctes)
    return {}


def _join_part(join: exp.Join, main: exp.Expression) -> Part:
    condition = join.args.get("on")
    if condition is None and join.args.get("using"):  # USING (k): the same tree as ON a.k = b.k
        condition = exp.and_(*(exp.column(u.name, main.alias_or_name).eq(exp.column(u.name, join.this.alias_or_name))
                               for u in join.args["using"]))
    if condition is None:
        return ("every pairing (cross join)", "CROSS JOIN")
    return (describe(condition), condition.sql(DIALECT))


def _inline_windows(predicate: exp.Expression, source: exp.Expression) -> exp.Expression:
    """`recency = 1` over a subquery that names row_number() ... AS recency: the window itself."""
    if not (isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select)):
        return predicate
    windows = {s.alias: s.this for s in source.this.expressions if isinstance(s, exp.Alias) and isinstance(s.this, exp.Window)}
    return predicate.transform(lambda n: windows[n.name].copy() if isinstance(n, exp.Column) and n.name in windows else n)


def _model_edges(model: models.Model) -> dict[str, tuple[str, str]]:
    """(rule, condition) for each input of a model, in the order the query reads them."""
    tree = sqlglot.parse_one(model.sql, read=DIALECT)
    reads = _reads(tree, {})
    for table in tree.find_all(exp.Table):  # an input read in a shape not analysed above: its query
        if table.name in model.inputs and table.name not in reads:
            enclosing = table.find_ancestor(exp.Select) or tree
            reads[table.name] = [(enclosing.sql(DIALECT), enclosing.sql(DIALECT))]
    return {table: ("; ".join(p for p, _ in parts) or "no filter of its own", "; ".join(s for _, s in parts if s))
            for table, parts in reads.items() if table in model.inputs}


def _leading_comment(sql: str) -> str:
    lines = []
    for line in sql.strip().splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


@cache
def _lineage_of(all_models: tuple[models.Model, ...]) -> Lineage:
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str, str, str]] = []
    quarantine = next(t for t in TABLE_LOCATIONS if zone_of(t) == "quarantine")
    for source in SOURCES.values():
        landing, noun = source.landing_table, source.name.replace("_", " ")
        accepted = next(t for t, where in TABLE_LOCATIONS.items() if where == f"{source.name}/accepted")
        nodes[landing] = Node(landing, zone_of(landing), "view",
                              f"Typed, read-only view over the raw {noun} files as delivered.")
        nodes[accepted] = Node(accepted, zone_of(accepted), "table",
                               f"Every accepted {noun} landing line, typed, with the files read into it.")
        edges.append((landing, accepted, "every line that parses and validates, typed", ""))
        edges.append((landing, quarantine, "every line that could not be accepted, with its file, line and reason", ""))
    nodes[quarantine] = Node(quarantine, "quarantine", "table",
                             "Every landing line that could not be accepted: source, file, line, raw text, reason.")
    for model in all_models:
        zone = zone_of(model.name) if model.name in TABLE_LOCATIONS else model.layer
        nodes[model.name] = Node(model.name, zone, "table" if model.stored else "view", _leading_comment(model.sql))
        edges.extend((table, model.name, rule, condition) for table, (rule, condition) in _model_edges(model).items())
    for table in TABLE_LOCATIONS:
        nodes.setdefault(table, Node(table, zone_of(table), "table", f"A table of the lake ({TABLE_LOCATIONS[table]})."))
    for source, target, _, _ in edges:
        nodes.setdefault(source, Node(source, "external", "table", f"Read by {target}; not a table of the lake."))
    return Lineage(tuple(nodes.values()), tuple(Edge(i, *e) for i, e in enumerate(edges, start=1)))


def lineage_from_dict(found: dict) -> Lineage:
    """A lineage as `dataclasses.asdict` wrote it (a report keeps it so)."""
    return Lineage(tuple(Node(**n) for n in found["nodes"]), tuple(Edge(**e) for e in found["edges"]))
