"""Words for SQL: a short phrase for what a model's predicate does to its input, from a small
vocabulary of column meanings (stedi/report/lineage.py labels its edges with them). A predicate
the vocabulary has no words for reads as its SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from stedi.config import CONSENT_POLICIES
from stedi.landing.sources import SOURCES

DIALECT = "duckdb"


@dataclass(frozen=True)
class Meaning:
    shared: str  # what two equal columns have in common: "customer"
    noun: str  # what one value is: "email"
    time: bool = False  # a point in time: comparisons read "at or after", orderings "latest"
    milestone: bool = False  # a date something began (consent): the object of a comparison


MEANINGS = {
    "email": Meaning("customer", "email"),
    "user": Meaning("customer", "email"),  # the accelerometer's user is the customer's email
    "serialnumber": Meaning("serial number", "serial number"),
    "timestamp": Meaning("millisecond", "reading time", time=True),
    "sensorreadingtime": Meaning("millisecond", "reading time", time=True),
    "lastupdatedate": Meaning("update time", "update", time=True),
    "sharewithresearchasofdate": Meaning("research consent date", "research consent", time=True, milestone=True),
}
POLICY_COLUMN = "consent_policy"  # of run_parameters
COMPARISONS = {exp.GTE: "at or after", exp.GT: "after", exp.LTE: "at or before", exp.LT: "before"}
FLIPPED = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT}


def describe(predicate: exp.Expression) -> str:
    """A short phrase for a predicate; its SQL where the vocabulary has no words for it."""
    node = predicate.unnest()
    if isinstance(node, exp.And):
        return " and ".join(describe(p) for p in conjuncts(node))
    if isinstance(node, exp.Or):
        return _describe_or(node)
    for words in (_comparison, _null_test, _exists, _first_per_group):
        if phrase := words(node):
            return phrase
    return node.sql(DIALECT)


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    node = node.unnest()
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def _meaning(node: exp.Expression) -> Meaning | None:
    return MEANINGS.get(node.name) if isinstance(node, exp.Column) else None


def _describe_or(node: exp.Or) -> str:
    branches = [node.this.unnest(), node.expression.unnest()]
    policy = next((b for b in branches if _policy_value(b) is not None), None)
    if policy is None:
        return " or ".join(describe(b) for b in branches)
    rest = describe(next(b for b in branches if b is not policy))
    others = [p for p in CONSENT_POLICIES if p != _policy_value(policy)]
    if _policy_value(policy) in CONSENT_POLICIES and len(others) == 1:
        return f"{rest} ({others[0]} policy)"  # the test holds under one policy: the rest applies under the other
    return f"{rest} (unless {policy.sql(DIALECT)})"


def _policy_value(node: exp.Expression) -> str | None:
    if isinstance(node, exp.EQ):
        for column, value in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(column, exp.Column) and column.name == POLICY_COLUMN and isinstance(value, exp.Literal):
                return value.name
    return None


def _comparison(node: exp.Expression) -> str | None:
    if not isinstance(node, exp.Binary):
        return None
    left, right, kind = _meaning(node.this), _meaning(node.expression), type(node)
    if not (left and right):
        return None
    if kind is exp.EQ and left.shared == right.shared:
        return f"same {left.shared}"
    if kind in COMPARISONS and left.time and right.time:
        if left.milestone and not right.milestone:  # "consent <= reading" reads as "reading >= consent"
            left, right, kind = right, left, FLIPPED[kind]
        return f"{COMPARISONS[kind]} {right.noun}"
    return None


def _null_test(node: exp.Expression) -> str | None:
    negated = isinstance(node, exp.Not)
    test = node.this.unnest() if negated else node
    if isinstance(test, exp.Is) and isinstance(test.expression, exp.Null) and (meaning := _meaning(test.this)):
        return f"{'with' if negated else 'without'} {meaning.noun}"
    return None


def _exists(node: exp.Expression) -> str | None:
    negated = isinstance(node, exp.Not)
    test = node.this.unnest() if negated else node
    if not (isinstance(test, exp.Exists) and isinstance(test.this, exp.Select) and test.this.args.get("from_")):
        return None
    table = test.this.args["from_"].this.name
    some = "no" if negated else "at least one"
    where = test.this.args.get("where")
    if where is None:
        return f"with {some} {table} row"
    inner = describe(where.this)
    return f"with {some} {table} row of the {inner}" if inner.startswith("same ") else f"with {some} {table} row where {inner}"


def _first_per_group(node: exp.Expression) -> str | None:
    """row_number() OVER (PARTITION BY key ORDER BY time DESC) = 1: the latest record per key."""
    if not isinstance(node, exp.EQ):
        return None
    window, one = (node.this, node.expression) if isinstance(node.this, exp.Window) else (node.expression, node.this)
    if not (isinstance(window, exp.Window) and isinstance(window.this, exp.RowNumber) and one.name == "1"):
        return None
    keys = [_meaning(c) for c in window.args.get("partition_by") or []]
    order = window.args.get("order")
    first = _meaning(order.expressions[0].this) if order and order.expressions else None
    if not keys or not all(keys) or not (first and first.time):
        return None
    which = "latest" if order.expressions[0].args.get("desc") else "earliest"
    return f"{which} record per {' and '.join(k.noun for k in keys)}"


def grouping(group: exp.Group, having: exp.Having | None, table: str) -> str | None:
    keys = [_meaning(e) for e in group.expressions]
    if not all(keys):
        return None
    if having is None:
        return f"one row per {' and '.join(k.noun for k in keys)}"
    test = having.this.unnest()
    if isinstance(test, exp.EQ) and isinstance(test.this, exp.Count) and test.expression.name == "1":
        holder = next((s.replace("_", " ") for s in SOURCES if table.startswith(f"{s}_")), "row")  # customer_latest: a customer
        return f"{' and '.join(f'{k.noun}s' for k in keys)} held by one {holder} only"
    return None
