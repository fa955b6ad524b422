"""A table's `columns=` and `filter=` (stedi.table), checked before anything is read.

A filter is user input pasted into SQL, so it is parsed on its own (sqlglot, DuckDB dialect) and
must be one boolean expression over the table's columns and nothing else: literals, columns,
comparisons, AND/OR/NOT, IN (a list), BETWEEN, LIKE, IS NULL, arithmetic, CAST and a short list of
pure scalar functions. A second statement, a subquery, another table, a table function
(read_csv, query) or any other function is refused in one line. The SQL that runs is rendered
from the parsed tree, never the text as typed (a comment or a stray quote cannot survive), and it
runs on a connection that reaches only the table's files (stedi.query's lock).

A pyiceberg expression (`pyiceberg.expressions.EqualTo("customer_key", key)`) is bound to the
table's columns and rendered to the same SQL, its values as SQL literals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import sqlglot
from sqlglot import exp

from stedi.errors import StediError

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pyiceberg.expressions

# A filter: SQL (DuckDB dialect) or a pyiceberg expression (named as a string: the hint resolves
# where the module using it names `pyiceberg`, as stedi.table does, without importing it here).
Filter = Union[str, "pyiceberg.expressions.BooleanExpression"]

_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Tuple,
    exp.And, exp.Or, exp.Not, exp.Xor,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Is,
    exp.In, exp.Between, exp.Like, exp.ILike, exp.Escape,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg, exp.DPipe,
    exp.Cast, exp.TryCast, exp.DataType, exp.DataTypeParam,
    # pure scalar functions sqlglot knows by class
    exp.Lower, exp.Upper, exp.Length, exp.Abs, exp.Coalesce, exp.Substring, exp.Trim, exp.Round,
    exp.Floor, exp.Ceil, exp.Least, exp.Greatest, exp.StartsWith, exp.RegexpLike, exp.Year, exp.Month,
    exp.Day, exp.Date, exp.DateTrunc, exp.Var,
)
# Functions sqlglot does not know by class, called by name: pure, and reading no file.
_ALLOWED_NAMED = frozenset({"epoch_ms", "make_date", "strlen", "contains", "prefix", "suffix", "ends_with",
                            "isnan", "isfinite", "hash", "md5", "sha256"})
_HOW_TO_PASS_VALUES = ("pass a value as a pyiceberg expression (EqualTo('customer_key', key)), or use "
                       "query(sql, params=...) for anything else")


def column_list(table: str, asked: "Iterable[str] | None", available: list[str]) -> list[str]:
    """The columns asked for, as the table names them (None: every one), or a one-line error
    naming the unknown one and the table's columns."""
    if asked is None:
        return list(available)
    if isinstance(asked, str):
        asked = [asked]  # columns="x": one column, not three letters
    by_lower = {c.lower(): c for c in available}
    found = []
    for name in asked:
        if not isinstance(name, str) or name.lower() not in by_lower:
            raise StediError(f"table {table} has no column {name!r}; its columns: {', '.join(available)}")
        found.append(by_lower[name.lower()])
    if not found:
        raise StediError(f"table {table}: columns=[] asks for no column; give some of: {', '.join(available)}")
    return found


def where_sql(table: str, condition: "Filter | None", available: list[str]) -> str | None:
    """The SQL of `condition` over the table's columns (`available`), checked; None for no filter."""
    if condition is None:
        return None
    if not isinstance(condition, str):
        condition = _from_pyiceberg(table, condition)
    try:
        parsed = [e for e in sqlglot.parse(condition, read="duckdb") if e is not None]
    except sqlglot.errors.SqlglotError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StediError(f"table {table}: filter {condition!r} is not a SQL expression ({first})") from None
    if not parsed:
        raise StediError(f"table {table}: the filter is empty; give a condition such as \"{available[0]} IS NOT NULL\"")
    if len(parsed) > 1:
        raise StediError(f"table {table}: filter {condition!r} holds {len(parsed)} statements; a filter is one "
                         "condition over the table's columns")
    tree = parsed[0]
    _check(table, condition, tree, {c.lower() for c in available}, available)
    return tree.sql(dialect="duckdb", comments=False, identify=True)


def _check(table: str, text: str, tree: exp.Expression, known: set[str], available: list[str]) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise StediError(f"table {table}: filter {text!r} names another table ({node.sql('duckdb')}); a "
                                 "filter reads this table's columns only")
            if node.name.lower() not in known:
                raise StediError(f"table {table} has no column {node.name!r} (in filter {text!r}); its columns: "
                                 f"{', '.join(available)}")
        elif isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest") or node.args.get("field")):
            raise StediError(f"table {table}: filter {text!r} holds a subquery; a filter is one condition over the "
                             f"table's columns ({_HOW_TO_PASS_VALUES})")
        elif isinstance(node, exp.Anonymous):
            if node.name.lower() not in _ALLOWED_NAMED:
                raise StediError(_refused(table, text, f"calls {node.name}()"))
        elif not isinstance(node, _ALLOWED_NODES):
            what = f"calls {node.sql_name()}()" if isinstance(node, exp.Func) else f"holds {node.key.upper()}"
            raise StediError(_refused(table, text, what))


def _refused(table: str, text: str, what: str) -> str:
    return (f"table {table}: filter {text!r} {what}, which a filter may not; a filter is one condition over the "
            f"table's columns: comparisons, AND/OR/NOT, IN (...), BETWEEN, LIKE, IS NULL, arithmetic, CAST and "
            f"simple functions ({_HOW_TO_PASS_VALUES})")


def _from_pyiceberg(table: str, condition: object) -> str:
    """A pyiceberg expression (bound or not) as DuckDB SQL, its values as literals; checked as SQL
    afterwards, as a string filter is."""
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.expressions.visitors import visit

    if not isinstance(condition, BooleanExpression):
        raise StediError(f"table {table}: filter must be SQL (a str) or a pyiceberg expression, not "
                         f"{type(condition).__name__}")
    return visit(condition, _to_sql())


def _to_sql() -> object:
    """A pyiceberg visitor that renders an expression as DuckDB SQL (made here: pyiceberg is a
    slow import, for filters given as its expressions only)."""
    from pyiceberg.expressions import (BoundPredicate, EqualTo, GreaterThan, GreaterThanOrEqual, In, IsNaN,
                                       IsNull, LessThan, LessThanOrEqual, NotEqualTo, NotIn, NotNaN, NotNull,
                                       NotStartsWith, StartsWith)
    from pyiceberg.expressions.visitors import BooleanExpressionVisitor

    compare = {EqualTo: exp.EQ, NotEqualTo: exp.NEQ, LessThan: exp.LT, LessThanOrEqual: exp.LTE,
               GreaterThan: exp.GT, GreaterThanOrEqual: exp.GTE}

    def predicate(p: object) -> str:
        name = p.term.ref().field.name if isinstance(p, BoundPredicate) else p.term.name  # type: ignore[attr-defined]
        column = exp.column(name, quoted=True)
        kind = next((k for k in type(p).__mro__ if k in compare or k in (In, NotIn, IsNull, NotNull, IsNaN, NotNaN,
                                                                         StartsWith, NotStartsWith)), None)
        if kind in compare:
            node: exp.Expression = compare[kind](this=column, expression=exp.convert(p.literal.value))  # type: ignore[attr-defined]
        elif kind in (In, NotIn):
            values = sorted((lit.value for lit in p.literals), key=repr)  # type: ignore[attr-defined]
            node = column.isin(*[exp.convert(v) for v in values])
            node = exp.not_(node) if kind is NotIn else node
        elif kind in (IsNull, NotNull):
            node = column.is_(exp.null())
            node = exp.not_(node) if kind is NotNull else node
        elif kind in (IsNaN, NotNaN):
            node = exp.Anonymous(this="isnan", expressions=[column])
            node = exp.not_(node) if kind is NotNaN else node
        elif kind in (StartsWith, NotStartsWith):
            node = exp.StartsWith(this=column, expression=exp.convert(p.literal.value))  # type: ignore[attr-defined]
            node = exp.not_(node) if kind is NotStartsWith else node
        else:
            raise StediError(f"a pyiceberg {type(p).__name__} filter is not supported; write it as SQL")
        return node.sql(dialect="duckdb")

    class ToSql(BooleanExpressionVisitor[str]):
        def visit_true(self) -> str:
            return "TRUE"

        def visit_false(self) -> str:
            return "FALSE"

        def visit_not(self, child_result: str) -> str:
            return f"NOT ({child_result})"

        def visit_and(self, left_result: str, right_result: str) -> str:
            return f"({left_result}) AND ({right_result})"

        def visit_or(self, left_result: str, right_result: str) -> str:
            return f"({left_result}) OR ({right_result})"

        def visit_unbound_predicate(self, predicate: object) -> str:
            return predicate_sql(predicate)

        def visit_bound_predicate(self, predicate: object) -> str:
            return predicate_sql(predicate)

    predicate_sql = predicate
    return ToSql()
