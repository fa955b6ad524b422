"""Typed, layered configuration: defaults, then the lake's `stedi.toml`, then environment.

Later layers win. This module holds and parses settings only; reading and writing a lake's
file is the lake's (`stedi.lake.load_config`, `write_config`). Environment variables are named
STEDI_<FIELD> (e.g. STEDI_CONSENT_POLICY).
The pseudonym key lives only in the lake's file: it is never read from the environment,
so a key cannot leak into a shell history or a CI log.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Mapping

from stedi.errors import StediError

CONSENT_POLICIES = ("strict", "any-time")
CONFIG_FILE = "stedi.toml"
DEFAULT_MEMORY_LIMIT = "3GB"
# DuckDB aborts the whole process when it cannot start the threads it is told to (tried:
# 1,000,000); no machine this runs on has more cores than this.
MAX_THREADS = 1024


@dataclass(frozen=True)
class Config:
    consent_policy: str = "strict"
    # DuckDB may use this much memory before it spills to the lake's temp folder: a size ("3GB",
    # "500MB", "1.5GiB"), or "-1" for DuckDB's own default (80% of the machine's memory).
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 0  # 0: one per core
    pseudonym_key: str = ""  # hex; generated when a local lake is created (an S3 lake's is in Secrets Manager)
    # A lake in S3 keeps its tables in this AWS Glue database.
    glue_database: str = "stedi"
    # Which engine builds the tables: DuckDB in this process, or Spark (the `spark` extra).
    engine: str = "duckdb"
    # Where the Spark engine runs: local[*] (this machine's cores), local[N], spark://HOST:PORT, yarn, k8s://...
    spark_master: str = "local[*]"
    # Jar files (comma-separated) on the class path of a Spark session stedi starts: hadoop-aws and
    # its AWS SDK bundle for a lake in S3 outside AWS Glue and EMR.
    spark_jars: str = ""
    # Snapshot retention, in Iceberg's expire-snapshots meaning: after each run (and by `stedi
    # maintain`) a table's snapshots older than keep_days are expired, except its newest
    # keep_snapshots (the current one is never expired); files no kept snapshot refers to go.
    keep_snapshots: int = 10
    keep_days: int = 7
    # Whether each run writes its HTML report into the lake (reports/<run-id>.html): "on" or "off".
    report: str = "on"

    def __post_init__(self) -> None:
        # parse_settings checks each value as it reads it, naming its source; this catches the rest
        # (Config built in code, command-line overrides).
        for name in _CHECKED:
            problem = _problem(name, getattr(self, name))
            if problem:
                raise StediError(problem)


ENGINES = ("duckdb", "spark")
_ENV_FIELDS = ("consent_policy", "memory_limit", "threads", "glue_database", "engine", "spark_master", "spark_jars",
               "keep_snapshots", "keep_days", "report")
# Settings of the machine that runs stedi, never of the lake: what they name is loaded as code into
# whoever runs stedi on it, and a lake's stedi.toml (in S3: an object) is writable by more people.
_MACHINE_ONLY = ("spark_jars",)
_CHECKED = ("consent_policy", "memory_limit", "threads", "glue_database", "engine", "spark_master",
            "keep_snapshots", "keep_days", "report")
REPORT_SWITCH = ("on", "off")
_SPARK_MASTER = re.compile(r"local(\[(\*|[1-9][0-9]*)(,[0-9]+)?\])?|spark://[^\s/]+|yarn|k8s://\S+|mesos://\S+")


def _problem(name: str, value: object) -> str | None:
    """What is wrong with one setting's value, in words; None if nothing."""
    if name == "consent_policy" and value not in CONSENT_POLICIES:
        return f"consent_policy {value!r} is not one of {', '.join(CONSENT_POLICIES)}"
    if name == "threads" and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS):
        return f"threads must be 0 (one per core) to {MAX_THREADS}, not {value!r}"
    if name == "glue_database" and not (isinstance(value, str) and re.fullmatch(r"[a-z0-9_]{1,255}", value)):
        return f"glue_database must be 1-255 lowercase letters, digits or underscores (as Athena names it), not {value!r}"
    if name == "engine" and value not in ENGINES:
        return f"engine {value!r} is not one of {', '.join(ENGINES)}"
    if name == "spark_master" and not (isinstance(value, str) and _SPARK_MASTER.fullmatch(value)):
        return (f"spark_master {value!r} is not a Spark master URL: local[*], local[N], spark://HOST:PORT, "
                "yarn or k8s://...")
    if name == "keep_snapshots" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        return f"keep_snapshots must be a whole number of 1 or more (the current snapshot is always kept), not {value!r}"
    if name == "keep_days" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return f"keep_days must be a whole number of 0 or more, not {value!r}"
    if name == "report" and value not in REPORT_SWITCH:
        return f"report must be 'on' or 'off', not {value!r}"
    if name == "memory_limit" and not isinstance(value, str):
        return f"memory_limit must be a string such as '3GB', not {value!r}"
    if name == "memory_limit" and value != DEFAULT_MEMORY_LIMIT:
        return _memory_limit_problem(value)
    return None


@lru_cache(maxsize=None)  # one throwaway connection per value and process
def _memory_limit_problem(value: str) -> str | None:
    """Ask DuckDB itself, the way the engine opens it, so every form it takes ("3GB", "1.5 GiB",
    "500mb") passes and anything else fails here rather than mid-run. DuckDB reads any negative
    size as its default (80% of the machine's memory): only "-1" means that here, and zero is no
    size either. A limit too small for DuckDB to hold ten rows is refused; one too small for the
    work is found only by the work: the CLI then names this setting."""
    import duckdb

    if value.strip().startswith("-") and value.strip() != "-1":
        return (f"memory_limit {value!r} is not a size (no negative one is); give a size such as '3GB', or -1 for "
                "DuckDB's own default (80% of the machine's memory)")
    if re.fullmatch(r"\s*(0+\.?0*|\.0+)\s*([KMGT]i?)?B?\s*", value, re.IGNORECASE):
        return f"memory_limit {value!r} is zero: DuckDB could hold nothing in memory; give a size such as '3GB'"
    try:
        with duckdb.connect(config={"memory_limit": value}) as con:  # the least work there is: ten rows
            con.execute("CREATE TEMP TABLE t AS SELECT range AS i FROM range(10)").execute("SELECT sum(i) FROM t")
    except duckdb.OutOfMemoryException:
        return f"memory_limit {value!r} is too small for DuckDB to hold even ten rows; give a size such as '3GB'"
    except duckdb.Error as e:
        reason = str(e).strip().splitlines()[0].removeprefix("Parser Error: ")
        return f"memory_limit {value!r} is not a size DuckDB understands ({reason}); e.g. '3GB', '500MB', '1.5GiB'"
    return None


def _coerce(name: str, value: object, source: str) -> object:
    wanted = {f.name: f.type for f in fields(Config)}[name]
    if wanted == "int":
        try:
            # A TOML float or boolean is not a whole number, though int() would take it.
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise TypeError
            value = int(value)
        except (TypeError, ValueError):
            raise StediError(f"{source}: {name} must be a whole number, not {value!r}") from None
    elif not isinstance(value, str):
        raise StediError(f"{source}: {name} must be a string, not {value!r}")
    problem = _problem(name, value)
    if problem:
        raise StediError(f"{source}: {problem}")
    return value


def parse_settings(text: str | None, where: str, key_in_file: bool, env: Mapping[str, str] | None = None) -> Config:
    """The effective config of a lake whose config file (named `where`) holds `text` (None: it has
    none): defaults < the file < environment. `key_in_file`: the lake keeps its pseudonym key in
    this file (a local lake), else elsewhere (AWS Secrets Manager), and the file must not hold one."""
    env = os.environ if env is None else env
    known = {f.name for f in fields(Config)}
    values: dict[str, object] = {}
    path = where
    if text is not None:
        try:
            from_file = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise StediError(f"{path}: cannot read the lake config: {e}") from None
        for name, value in from_file.items():
            if name not in known:
                raise StediError(f"{path}: unknown setting {name!r} (known: {', '.join(sorted(known))})")
            if name in _MACHINE_ONLY and value:
                raise StediError(f"{path}: sets {name}, which would load code into whoever runs stedi on this lake; "
                                 f"remove it, and set STEDI_{name.upper()} on your own machine instead")
            values[name] = _coerce(name, value, path)
        if not key_in_file:
            if "pseudonym_key" in values:  # whoever reads the bucket could re-identify customers
                raise StediError(f"{path}: holds a pseudonym_key, which must not lie beside the data it protects; "
                                 "remove it (the lake's key is in AWS Secrets Manager)")
        # A missing, empty or short key would make customer_key a hash anyone can recompute from an email.
        elif not re.fullmatch(r"[0-9a-fA-F]{64}", str(values.get("pseudonym_key", ""))):
            raise StediError(f"{path}: pseudonym_key must be the 64 hex digits written when the lake was made "
                             "(restore it from a copy of this file)")
    for name in _ENV_FIELDS:
        var = f"STEDI_{name.upper()}"
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    return Config(**values)  # type: ignore[arg-type]


def settings_text(config: Config, key_in_file: bool) -> str:
    """A lake's config file for `config` (only scalars, so plain TOML lines suffice); the key only
    where `key_in_file`, machine-only settings never."""
    if key_in_file:
        lines = ["# STEDI lake settings. Keep pseudonym_key secret: it re-identifies customers.\n"]
    else:
        lines = ["# STEDI lake settings. The pseudonym key is kept in AWS Secrets Manager, not here.\n"]
    for f in fields(Config):
        if (f.name == "pseudonym_key" and not key_in_file) or f.name in _MACHINE_ONLY:
            continue
        value = getattr(config, f.name)
        lines.append(f"{f.name} = {value if isinstance(value, int) else _toml_str(value)}\n")
    return "".join(lines)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_overrides(config: Config, **overrides: object) -> Config:
    """Config with command-line overrides (None means: not given)."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
