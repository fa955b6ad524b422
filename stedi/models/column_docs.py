"""What each column of a model is: a `-- doc:` comment after the column, on its line of the
outermost SELECT, which a reviewer reads beside the SQL that makes the column:

    SELECT
        s.sensorreadingtime,  -- doc: when the step trainer took the reading, in epoch milliseconds (UTC)

The descriptions become the tables' Iceberg field docs, `stedi tables --columns` and the Athena
DDL's COMMENTs. The parse is strict: a doc comment anywhere else, two for one column, or (in a
stored model) a column without one is a problem, named with the file and the column.
"""

from __future__ import annotations

import re

from sqlglot import exp

DOC = "doc:"
_DOC_COMMENT = re.compile(r"(--|/\*)\s*doc:", re.IGNORECASE)


def parse_columns(tree: exp.Expression, sql: str, where: str, required: bool) -> tuple[dict[str, str], list[str]]:
    """The description of each output column of a parsed model (`tree`, from `sql`), in output
    order, and what is wrong with them, each problem naming `where` (the file). `required`: every
    output column must have one (a stored model's)."""
    problems: list[str] = []
    for number, line in enumerate(sql.splitlines(), 1):
        found = _DOC_COMMENT.search(line)
        if found and not line[: found.start()].strip():
            problems.append(f"{where}:{number}: a doc comment stands on a line of its own; put it after its column, "
                            "on the column's line")
    columns: dict[str, str] = {}
    select = tree if isinstance(tree, exp.Select) else None
    items = select.expressions if select is not None else []
    if select is None:
        problems.append(f"{where}: the model is not one SELECT; its columns cannot be described")
    for item in items:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            problems.append(f"{where}: SELECT * outputs columns that cannot be described; name each column")
            continue
        docs = [c.strip()[len(DOC):].strip() for c in item.comments or [] if c.strip().lower().startswith(DOC)]
        name = item.alias_or_name
        if len(docs) > 1:
            problems.append(f"{where}: column {name} has {len(docs)} doc comments; give it one")
        elif docs and (not docs[0] or "\n" in docs[0]):
            problems.append(f"{where}: column {name} has an empty or multi-line doc comment; say in one line what it is")
        elif docs:
            columns[name] = docs[0]
        elif required:
            problems.append(f"{where}: column {name} has no description; add `-- doc: what it is` after it")
    placed = sum(c.strip().lower().startswith(DOC) for item in items for c in item.comments or [])
    if len(_DOC_COMMENT.findall(sql)) > placed:
        problems.append(f"{where}: a doc comment is not on a column of the outermost SELECT (it documents no "
                        "column the model outputs); move it after its column")
    return columns, problems
