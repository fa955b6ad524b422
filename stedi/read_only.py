"""What a reader's SQL may do: one statement that reads, over the lake's tables and nothing else.

Two locks, because neither holds alone (checked on DuckDB 1.5.5):
- The connection (stedi.query): `enable_external_access = false` with `allowed_paths` set to
  exactly the files of the tables it reads and `allowed_directories` to its own temp folder,
  then `lock_configuration = true`. That refuses /etc/passwd, stedi.toml, ATTACH outside, INSTALL,
  LOAD and SET, but lets COPY, ATTACH and EXPORT DATABASE write *inside* an allowed folder.
- The statement (here): exactly one, of a type that reads (SELECT, which is also what DuckDB makes
  of DESCRIBE, SHOW, SUMMARIZE, PIVOT ... IN and reading PRAGMAs; or EXPLAIN [ANALYZE] of one),
  and no call of a function that changes the connection or runs SQL from a string: such calls
  are SELECTs too (`SELECT * FROM enable_logging(storage='file', ...)` writes a folder of logs).
The statement is parsed on the locked connection: parsing `IMPORT DATABASE 'dir'` reads
dir/schema.sql (DuckDB expands it while parsing), which there is refused.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from stedi.errors import StediError

if TYPE_CHECKING:
    import duckdb

READ_ONLY = "the query tool is read-only"
ALLOWED = "it runs one SELECT (or DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of a SELECT)"
# Table functions a SELECT may call that change the connection (logging, profiling, checkpoints),
# run SQL given as a string, read process memory (scans of pointers), or name its credentials.
REFUSED_FUNCTIONS = frozenset({
    "enable_logging", "disable_logging", "truncate_duckdb_logs", "write_log", "enable_profiling",
    "disable_profiling", "checkpoint", "force_checkpoint", "query", "query_table",
    "json_execute_serialized_sql", "arrow_scan", "arrow_scan_dumb", "pandas_scan", "python_map_function",
    "duckdb_secrets",
})
_EXPLAIN = re.compile(r"\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\((?:[^()']|'[^']*')*\)\s*)?(?P<inner>.*)", re.I | re.S)


def no_sql() -> StediError:
    return StediError('no SQL given: pass a query, e.g. "SELECT count(*) FROM quarantine"')


def check(con: "duckdb.DuckDBPyConnection", sql: str) -> "tuple[duckdb.Statement, set[str]]":
    """The one statement of `sql` if it only reads, and the table names it reads (lowercased);
    else a one-line StediError saying the query tool is read-only."""
    statements = con.extract_statements(sql)
    if not statements:  # blank, only comments or ';'
        raise no_sql()
    if len(statements) > 1:
        raise StediError(f"{READ_ONLY} and runs one statement at a time; this SQL holds {len(statements)}")
    statement = statements[0]
    return statement, _reads(con, statement)


def _reads(con: "duckdb.DuckDBPyConnection", statement: "duckdb.Statement") -> set[str]:
    import duckdb

    kind = statement.type
    if kind == duckdb.StatementType.EXPLAIN:
        found = _EXPLAIN.fullmatch(statement.query)
        inner = con.extract_statements(found["inner"]) if found else []
        if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
            raise StediError(f"{READ_ONLY}: {ALLOWED}; this EXPLAIN is not of a single SELECT")
        return _reads(con, inner[0])
    if kind != duckdb.StatementType.SELECT:
        raise StediError(f"{READ_ONLY}: {ALLOWED}, not {_kind(statement)}; "
                         "to make tables of your own, use stedi.Lakehouse(...).connect() in Python")
    literal = "'" + statement.query.replace("'", "''") + "'"  # bound parameters would import pandas
    tree = json.loads(con.execute(f"SELECT json_serialize_sql({literal})").fetchone()[0])  # type: ignore[index]
    if tree.get("error"):  # DuckDB serializes every SELECT; one it cannot is not run unchecked
        raise StediError(f"{READ_ONLY}: this statement cannot be checked ({tree.get('error_message')})")
    functions, tables = _names(tree)
    refused = sorted(functions & REFUSED_FUNCTIONS)
    if refused:
        raise StediError(f"{READ_ONLY}: {refused[0]}() is not allowed in it (it changes the connection, "
                         "runs other SQL or reaches beyond the tables)")
    return tables


def _kind(statement: "duckdb.Statement") -> str:
    """What a refused statement is, in the words a user typed: COPY, ATTACH, SET, INSTALL..."""
    words = re.findall(r"[A-Za-z]+", re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement.query, flags=re.S))
    typed = words[0].upper() if words else ""
    named = statement.type.name.replace("_", " ")
    return typed if typed and typed != named else named


def _names(tree: object) -> tuple[set[str], set[str]]:
    """Every function a serialized statement calls and every table it names, lowercased."""
    functions: set[str] = set()
    tables: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("function_name"), str):
                functions.add(node["function_name"].lower())
            if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
                tables.add(node["table_name"].lower())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return functions, tables


def refusal(error: "duckdb.Error") -> str | None:
    """A DuckDB error that the locked connection raised, as one line saying so; None for others."""
    import duckdb

    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, duckdb.PermissionException):
        found = re.search(r'Cannot access (?:file|directory) "(.*)" - ', text)
        if found:
            return f"{READ_ONLY} and reads only the lake's tables: it cannot reach {found[1]}"
        return f"{READ_ONLY}: {text.removeprefix('Permission Error: ')}"
    if "the configuration has been locked" in text:
        return f"{READ_ONLY}: its settings cannot be changed"
    return None
