"""Where `make jvm` put the pinned JVM pieces of jvm/artifacts.txt (.cache/jvm, or STEDI_JVM_CACHE)."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def jvm_cache() -> Path:
    return Path(os.environ.get("STEDI_JVM_CACHE") or REPOSITORY / ".cache" / "jvm")


def cached(folder: str) -> list[Path]:
    """The files `make jvm` fetched into `folder`, or [] when it has not run."""
    where = jvm_cache() / folder
    return sorted(where.iterdir()) if where.is_dir() else []
