"""Typed, layered configuration: defaults, then the lake's `stedi.toml`, then environment.

Later layers win. Environment variables are named STEDI_<FIELD> (e.g. STEDI_CONSENT_POLICY).
The pseudonym key lives only in the lake's file: it is never read from the environment,
so a key cannot leak into a shell history or a CI log.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

from stedi.errors import StediError

CONSENT_POLICIES = ("strict", "any-time")
CONFIG_FILE = "stedi.toml"


@dataclass(frozen=True)
class Config:
    consent_policy: str = "strict"
    # DuckDB may use this much memory before it spills to the lake's temp folder.
    memory_limit: str = "3GB"
    threads: int = 0  # 0: one per core
    pseudonym_key: str = ""  # hex; generated when the lake is created

    def __post_init__(self) -> None:
        if self.consent_policy not in CONSENT_POLICIES:
            raise StediError(
                f"consent policy {self.consent_policy!r} is not one of {', '.join(CONSENT_POLICIES)}"
            )
        if self.threads < 0:
            raise StediError(f"threads must be 0 (one per core) or more, not {self.threads}")


_ENV_FIELDS = ("consent_policy", "memory_limit", "threads")


def _coerce(name: str, value: object, source: str) -> object:
    wanted = {f.name: f.type for f in fields(Config)}[name]
    if wanted == "int":
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StediError(f"{source}: {name} must be a whole number, not {value!r}") from None
    if not isinstance(value, str):
        raise StediError(f"{source}: {name} must be a string, not {value!r}")
    return value


def load_config(lake: Path, env: Mapping[str, str] | None = None) -> Config:
    """The effective config of a lake: defaults < lake file < environment."""
    env = os.environ if env is None else env
    known = {f.name for f in fields(Config)}
    values: dict[str, object] = {}
    path = lake / CONFIG_FILE
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise StediError(f"{path}: cannot read the lake config: {e}") from None
        for name, value in from_file.items():
            if name not in known:
                raise StediError(f"{path}: unknown setting {name!r} (known: {', '.join(sorted(known))})")
            values[name] = _coerce(name, value, str(path))
    for name in _ENV_FIELDS:
        var = f"STEDI_{name.upper()}"
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    return Config(**values)  # type: ignore[arg-type]


def write_config(lake: Path, config: Config) -> None:
    """Write the lake's config file (only scalars, so plain TOML lines suffice)."""
    lines = ["# STEDI lake settings. Keep pseudonym_key secret: it re-identifies customers.\n"]
    for f in fields(Config):
        value = getattr(config, f.name)
        lines.append(f"{f.name} = {value if isinstance(value, int) else _toml_str(value)}\n")
    path = lake / CONFIG_FILE
    path.write_text("".join(lines), encoding="utf-8")
    path.chmod(0o600)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_overrides(config: Config, **overrides: object) -> Config:
    """Config with command-line overrides (None means: not given)."""
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
