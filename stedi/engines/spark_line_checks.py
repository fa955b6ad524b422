"""The line rules in Spark: a JVM test that proves most lines acceptable, the validator for the rest.

Spark's JSON reader (Jackson, through from_json) is more lenient than JSON in ways that
matter here: it stops at the end of the first object (`{"a":1} trailing`), takes the last of
two equal keys, turns a number into text for a string column, reads "NaN" into a double, and
is handed U+FFFD for a byte that is not UTF-8. So a line is accepted in the JVM only where
these checks leave Jackson no room to differ from the validator (`landing/validate.py`);
every other non-blank line (a suspect) goes to the validator itself, on the executors.

- Jackson, as strict as it goes, read the line whole and every declared value as its type
  (the corrupt-record column is empty): JSON syntax, no comments, no NaN, no control
  characters, no byte that is not UTF-8 outside a string.
- Its first byte is '{', its last '}', and no '}' comes earlier: nothing after the object.
  No '[' or second '{' (no nesting). No escaped quote or backslash, so every '"' byte opens or
  closes a string, and no escaped half of a UTF-16 pair (Python reads it, the validator refuses it).
- Count. The declared fields Jackson found (it matches keys by exact case), plus optional
  keys given as null (the bytes `"K":null`: with quotes only around strings, that is key K
  and a null), are n distinct members; the object's k members hold k ':' bytes. So ':' bytes
  == n proves k == n: no unknown key, no key given twice.
- The bytes `"K":"` prove a string or date field holds a JSON string (not a number turned
  into text); its value holds no U+FFFD (a byte that was not UTF-8). Numbers are finite
  (Jackson gives a number column no value from a string but "NaN" and the like), required
  strings not only white space, dates real days.

A line these checks do not prove is not rejected for it, only judged by the validator: the
checks may be as cautious as they like (a key written `"K" : 1`, a ':' inside a string).
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Iterator

from stedi.landing.column_types import of_sql
from stedi.landing.locate import decode
from stedi.landing.sources import DATE_PATTERN, WHITE_SPACE, FieldType, Source
from stedi.landing.validate import judge

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructType

BLANK, ACCEPTED, SUSPECT = 0, 1, 2
BLANK_BYTES = " \t\r\x0b\x0c"  # a line of only these is no record (locate.py)
UNPARSED = "_stedi_unparsed"  # Jackson's corrupt-record column: set where it could not read a line whole

# Java regex. \z, not $: Java's $ also matches before a final U+2028 or U+0085.
_DATE = r"\A(?:" + DATE_PATTERN + r")\z"
# Escapes Jackson and Python read alike, but these: an escaped quote (so every '"' byte opens or
# closes a string), an escaped backslash (so every backslash starts an escape) and half a UTF-16
# pair (Python's strings hold it, Spark's cannot).
_ODD_ESCAPE = (r'\\\\|\\"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])'
               r'|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]')
_ONLY_WHITE_SPACE = r"\A[" + "".join(f"\\x{{{ord(c):04X}}}" for c in WHITE_SPACE) + r"]*\z"
_PY_DATE = re.compile(DATE_PATTERN)

# Jackson as strict as it goes; the checks above cover the rest.
JSON_OPTIONS = {
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": UNPARSED,
    "allowNonNumericNumbers": "false",
    "allowSingleQuotes": "false",
    "allowComments": "false",
    "allowUnquotedFieldNames": "false",
    "allowNumericLeadingZeros": "false",
    "allowBackslashEscapingAnyCharacter": "false",
    "allowUnquotedControlChars": "false",
}


def spark_type(t: FieldType) -> str:
    return of_sql(t.sql_type).spark


def columns_schema(source: Source) -> "StructType":
    """The typed columns of a landing table, in declared order."""
    from pyspark.sql import types as T

    kinds = {FieldType.STRING: T.StringType(), FieldType.INTEGER: T.LongType(), FieldType.NUMBER: T.DoubleType(),
             FieldType.DATE: T.DateType()}
    return T.StructType([T.StructField(f.column, kinds[f.type]) for f in source.fields])


def _json_schema(source: Source) -> str:
    """What Jackson reads: dates as text (checked and typed below), keys as delivered."""
    def kind(t: FieldType) -> str:
        return "string" if t is FieldType.DATE else spark_type(t)
    return ", ".join([f"`{f.key}` {kind(f.type)}" for f in source.fields] + [f"`{UNPARSED}` string"])


def _date(text: "Column") -> "Column":
    from pyspark.sql import functions as F

    parts = F.split(text, "-")
    return F.make_date(*(parts.getItem(i).cast("int") for i in range(3)))


def judge_lines(source: Source, lines: "DataFrame", keep: list[str]) -> "DataFrame":
    """Per line (column `_line`, a trailing CR removed): the `keep` columns, its kind (BLANK,
    ACCEPTED, SUSPECT), the typed values of an ACCEPTED line and the bytes of a SUSPECT one.
    In steps: within one step Spark may evaluate an expression once per use (a parse, too)."""
    from pyspark.sql import functions as F

    text, simple = F.col("_line"), F.col("_simple")
    shape = (text.startswith("{") & text.endswith("}") & (F.instr(text, "}") == F.length(text))
             & (F.locate("{", text, 2) == 0) & ~text.contains("[") & (~text.contains("\\") | ~text.rlike(_ODD_ESCAPE)))
    step = lines.select(*keep, "_line", shape.alias("_simple"))
    step = step.select(*keep, "_line", "_simple",
                       F.when(simple, F.from_json(text, _json_schema(source), JSON_OPTIONS)).alias("_json"))
    found, checks, values = [], [F.col("_json").getField(UNPARSED).isNull()], []
    for f in source.fields:
        v = F.col("_json").getField(f.key)
        present = v.isNotNull()
        value = _date(v) if f.type is FieldType.DATE else v
        if f.required:
            checks.append(present)
        else:
            # A key given as null is a member too; those bytes can only be a key and its null.
            found.append((v.isNull() & _given(text, f.key, "null")).cast("int"))
        found.append(present.cast("int"))
        if f.type in (FieldType.STRING, FieldType.DATE):
            # A JSON string, not a number Spark turned into text; no byte that is not UTF-8
            # (Spark hands Jackson U+FFFD for it).
            checks.append(~present | (_given(text, f.key, '"') & ~v.contains("\ufffd")))
        if f.type is FieldType.NUMBER:
            checks.append(~present | (~F.isnan(v) & (F.abs(v) != float("inf"))))
        if f.type is FieldType.DATE:
            checks.append(~present | (v.rlike(_DATE) & value.isNotNull()))
        if f.type is FieldType.STRING and f.required:
            # A first character that is printable ASCII and not a space settles it cheaply.
            checks.append(F.ascii(v).between(33, 126) | ~v.rlike(_ONLY_WHITE_SPACE))
        values.append(value.alias(f.column))
    colons = F.octet_length(text) - F.octet_length(F.replace(text, F.lit(":"), F.lit("")))
    checks.append(colons == sum(found[1:], found[0]))
    ok = F.coalesce(simple & _all(checks), F.lit(False))
    blank = F.btrim(text, F.lit(BLANK_BYTES)) == ""
    kind = F.when(ok, F.lit(ACCEPTED)).when(blank, F.lit(BLANK)).otherwise(F.lit(SUSPECT))
    step = step.select(*keep, "_line", kind.cast("byte").alias("_kind"), *values)
    accepted = F.col("_kind") == ACCEPTED
    return step.select(*keep, "_kind", *(F.when(accepted, F.col(c)).alias(c) for c in source.columns),
                       F.when(F.col("_kind") == SUSPECT, text.cast("binary")).alias("_raw"))


def _given(text: "Column", key: str, start: str) -> "Column":
    """The line gives `key` a value starting with `start` (no white space, or one space, after
    the ':'). With no backslash in the line, a '"' only opens or closes a string, so these
    bytes can only be the key itself, then its value."""
    return text.contains(f'"{key}":{start}') | text.contains(f'"{key}": {start}')


def _all(checks: list["Column"]) -> "Column":
    out = checks[0]
    for c in checks[1:]:
        out = out & c
    return out


# -- On the executors: the validator over the suspects ------------------------------------

def judged_schema(source: Source, passed: list[tuple[str, str]]) -> str:
    """Columns `judge_batches` yields: the passed-through ones, the text and reason of a
    rejected line, and the typed values of an accepted one."""
    return ", ".join([f"`{n}` {t}" for n, t in passed] + ["`_text` string", "`_reason` string"]
                     + [f"`{f.column}` {spark_type(f.type)}" for f in source.fields])


def judge_batches(source: Source, raw: str, batches: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
    """mapInArrow: each suspect line (bytes in column `raw`) decoded and judged by the
    validator, as `locate.read_exactly` does. Other columns pass through."""
    import pyarrow as pa

    arrow = {t: of_sql(t.sql_type).arrow_type() for t in FieldType}
    for batch in batches:
        texts, reasons = [], []
        values: list[list[object]] = [[] for _ in source.fields]
        for data in batch.column(raw).to_pylist():
            text, reason = decode(data)
            record = None
            if reason is None:
                reason, record = judge(source, text)
            texts.append(text if reason else None)
            reasons.append(reason)
            for column, f in zip(values, source.fields):
                column.append(None if record is None else _typed(f.type, record.get(f.key)))
        passed = [(name, batch.column(name)) for name in batch.schema.names if name != raw]
        yield pa.RecordBatch.from_arrays(
            [a for _, a in passed] + [pa.array(texts, pa.string()), pa.array(reasons, pa.string())]
            + [pa.array(v, arrow[f.type]) for v, f in zip(values, source.fields)],
            names=[n for n, _ in passed] + ["_text", "_reason"] + [f.column for f in source.fields])


def _typed(t: FieldType, value: object) -> object:
    """A value the validator accepted, as the engines type it."""
    if value is None:
        return None
    if t is FieldType.NUMBER:
        return float(value)  # type: ignore[arg-type]
    if t is FieldType.DATE:
        match = _PY_DATE.fullmatch(value)  # type: ignore[arg-type]
        assert match is not None  # the validator checked it
        return datetime.date(*(int(part) for part in match.groups()))
    return value
