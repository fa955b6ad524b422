"""A privacy audit answered from a model's SQL, where the SQL leaves only one answer.

The crossed-customers audit asks of every machine-learning row that its step-trainer reading
and its phone reading be both of the one customer its key names. A model whose rows come only
from inner equi-joins that equate the step trainer's serial number with the customer's, the
phone's user with the customer's email and the two reading times, and whose columns are those
rows' columns unchanged, cannot produce another row. Checking its rows against the trusted
tables cost two anti-joins over every row (25 s at 100 M readings) for an answer its SQL gives.

The check is conservative: anything it does not recognise (another join, an outer or cross
join, a UNION, a subquery, a computed or unqualified column, a key not made the model's way) is
not a proof, and the audit runs on the rows as before. One fact the SQL cannot give is checked
on the data, cheaply: a key names one customer only if curated emails are unique.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from stedi.models import PARAMETERS

CROSSED_CUSTOMERS = "machine_learning_crossed_customers"
# Run on the data when the proof holds: 0 means a key names at most one curated customer.
UNIQUE_CURATED_EMAILS = "SELECT count(email) - count(DISTINCT email) FROM customer_curated"

# What a proof needs of the model's columns: output name -> (table read, its column).
_OUTPUT = {"sensorreadingtime": ("step_trainer_trusted", "sensorreadingtime"),
           "distancefromobject": ("step_trainer_trusted", "distancefromobject"),
           "x": ("accelerometer_trusted", "x"), "y": ("accelerometer_trusted", "y"),
           "z": ("accelerometer_trusted", "z")}
_KEY = "customer_key"


def proved(audit: str, model_sql: str) -> bool:
    """True where `model_sql` (machine_learning_curated's) cannot produce a row `audit` looks for."""
    if audit != CROSSED_CUSTOMERS:
        return False
    try:
        tree = sqlglot.parse_one(model_sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return False
    return isinstance(tree, exp.Select) and _pairs_one_customer(tree)


def _pairs_one_customer(tree: exp.Select) -> bool:
    ctes = {cte.alias_or_name: cte.this for cte in (_arg(tree, "with") or exp.With()).expressions}
    relations = _relations(tree)
    if relations is None:
        return False
    aliases: dict[str, str] = {}  # alias -> what it reads: a table, or "keyed" (a key CTE)
    keyed: dict[str, str] = {}  # the key CTE's columns: name -> role (email, serialnumber, customer_key)
    for alias, name in relations.items():
        if name in ctes:
            columns = _key_columns(ctes[name])
            if columns is None or keyed:
                return False
            keyed, aliases[alias] = columns, "keyed"
        elif name in ("step_trainer_trusted", "accelerometer_trusted"):
            aliases[alias] = name
        else:
            return False
    by_role = {role: alias for alias, role in aliases.items()}
    if sorted(aliases.values()) != ["accelerometer_trusted", "keyed", "step_trainer_trusted"]:
        return False
    s, a, k = by_role["step_trainer_trusted"], by_role["accelerometer_trusted"], by_role["keyed"]
    key_column = {role: column for column, role in keyed.items()}
    equal = _Equalities(_equalities(tree))
    if not (equal.same((k, key_column["serialnumber"]), (s, "serialnumber"))
            and equal.same((a, "user"), (k, key_column["email"]))
            and equal.same((a, "timestamp"), (s, "sensorreadingtime"))):
        return False
    outputs = _outputs(tree)
    if outputs is None or outputs.get(_KEY) != (k, key_column[_KEY]):
        return False
    for name, (table, column) in _OUTPUT.items():
        if outputs.get(name) != (by_role[table], column):
            return False
    return True


def _relations(select: exp.Select) -> dict[str, str] | None:
    """alias -> table name of a SELECT reading plain tables through inner joins only."""
    from_ = _arg(select, "from")
    if from_ is None or select.args.get("group") or select.find(exp.Union, exp.Window, exp.AggFunc):
        return None
    found = {}
    for join, relation in [(None, from_.this)] + [(j, j.this) for j in select.args.get("joins") or []]:
        if join is not None and (join.side or join.kind not in ("", "INNER") or join.args.get("using")
                                 or join.args.get("on") is None):
            return None
        if not isinstance(relation, exp.Table) or relation.args.get("db") or relation.alias_or_name in found:
            return None
        found[relation.alias_or_name] = relation.name
    return found


def _key_columns(cte: exp.Expression) -> dict[str, str] | None:
    """The key CTE's columns and their roles (email, serialnumber, customer_key), if it reads curated
    customers and makes the key as the model does: sha256(pseudonym_key || email)."""
    if not isinstance(cte, exp.Select) or cte.args.get("group") or cte.find(exp.Union, exp.Window, exp.AggFunc):
        return None
    from_ = _arg(cte, "from")
    joins = cte.args.get("joins") or []
    if from_ is None or not isinstance(from_.this, exp.Table) or from_.this.name != "customer_curated":
        return None
    customers = from_.this.alias_or_name
    parameters = None
    for join in joins:
        if not isinstance(join.this, exp.Table) or join.this.name != PARAMETERS or join.side or join.args.get("on"):
            return None
        parameters = join.this.alias_or_name
    roles: dict[str, str] = {}  # column name -> role
    for projection in cte.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(value, exp.Column) and value.table == customers and value.name in ("email", "serialnumber"):
            roles[projection.alias_or_name] = value.name
        elif _is_key(value, parameters, customers):
            roles[projection.alias_or_name] = _KEY
    if sorted(roles.values()) != sorted([_KEY, "email", "serialnumber"]):
        return None  # each role once, and no column of another making
    return roles


def _is_key(value: exp.Expression, parameters: str | None, customers: str) -> bool:
    if not isinstance(value, exp.SHA2) or value.text("length") not in ("", "256") or parameters is None:
        return False
    inner = value.this
    return (isinstance(inner, exp.DPipe) and _is_column(inner.this, parameters, "pseudonym_key")
            and _is_column(inner.expression, customers, "email"))


def _is_column(value: exp.Expression, table: str, name: str) -> bool:
    return isinstance(value, exp.Column) and value.table == table and value.name == name


def _equalities(select: exp.Select) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Column = column conditions every output row meets: the top-level conjuncts of the joins'
    ON and of WHERE (anything else there only filters rows)."""
    pairs = []
    conditions = [j.args.get("on") for j in select.args.get("joins") or []]
    where = select.args.get("where")
    conditions += [where.this] if where is not None else []
    for condition in conditions:
        for part in condition.flatten() if isinstance(condition, exp.And) else [condition]:
            if (isinstance(part, exp.EQ) and isinstance(part.this, exp.Column)
                    and isinstance(part.expression, exp.Column) and part.this.table and part.expression.table):
                pairs.append(((part.this.table, part.this.name), (part.expression.table, part.expression.name)))
    return pairs


def _outputs(select: exp.Select) -> dict[str, tuple[str, str]] | None:
    """Output name -> the qualified column it is, or None if any output is computed."""
    found = {}
    for projection in select.expressions:
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(value, exp.Column) or not value.table:
            return None
        found[projection.alias_or_name] = (value.table, value.name)
    return found


def _arg(node: exp.Expression, name: str) -> exp.Expression | None:
    """A syntax tree's part by name (sqlglot spells `from` and `with` with a trailing _ in newer releases)."""
    return node.args.get(name + "_") or node.args.get(name)


class _Equalities:
    """Which columns the equalities make equal (a union-find over them)."""

    def __init__(self, pairs: list[tuple[tuple[str, str], tuple[str, str]]]):
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}
        for left, right in pairs:
            self.parent[self._root(left)] = self._root(right)

    def _root(self, column: tuple[str, str]) -> tuple[str, str]:
        while self.parent.get(column, column) != column:
            column = self.parent[column]
        return column

    def same(self, left: tuple[str, str], right: tuple[str, str]) -> bool:
        return self._root(left) == self._root(right)
