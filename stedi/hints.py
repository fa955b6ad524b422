"""Names that type hints use, resolvable at run time (`typing.get_type_hints`, IDEs, docs tools)
without importing pyarrow, pandas or DuckDB with stedi: `pa.Table` in a hint imports pyarrow only
when a tool reads the hint."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """A module imported when a name is first read from it (a submodule too: `pyiceberg.table`)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = importlib.import_module(self._name)
        try:
            return getattr(module, attr)
        except AttributeError:
            return importlib.import_module(f"{self._name}.{attr}")

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported when first used>"
