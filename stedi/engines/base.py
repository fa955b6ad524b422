"""What every engine offers. The pipeline talks only to this interface.

An engine reads landing files, runs the models' SQL and writes Parquet files into a
table's location. It never talks to the catalog: the table store commits its files.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stedi.landing.sources import Source

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Rejected:
    """A landing line the engine could not accept. `line` is None where the engine cannot
    number lines; `reason` is None where the validator is to explain it."""

    file: str
    raw: str
    line: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class LandingLoad:
    source: str
    lines_read: int
    accepted: int
    rejected: list[Rejected]


@dataclass(frozen=True)
class Written:
    files: list[Path]  # Parquet files holding the rows (none when there are no rows)
    rows: int


class Engine(ABC):
    name: str

    @abstractmethod
    def load_landing(self, source: Source, files: list[Path]) -> LandingLoad:
        """Parse and type the landing files; make `<source>_landing` readable by later SQL."""

    @abstractmethod
    def set_parameters(self, **values: str) -> None:
        """Provide the one-row `run_parameters` relation the models read."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """Make `name` readable as the result of `sql` (DuckDB dialect), without storing it."""

    @abstractmethod
    def write_parquet(self, name: str, sql: str, directory: Path) -> Written:
        """Write the result of `sql` as Parquet files into `directory` (new, empty); then
        make `name` readable from those files."""

    @abstractmethod
    def write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: Path) -> Written:
        """Write a few Python rows (columns: name → SQL type) as Parquet, like write_parquet."""

    @abstractmethod
    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        """Make `name` readable from existing Parquet files (an empty list: no rows)."""

    @abstractmethod
    def count(self, name: str) -> int: ...

    @abstractmethod
    def schema(self, name: str) -> "pa.Schema":
        """The Arrow schema of a readable name (for the table store)."""

    @abstractmethod
    def fingerprint(self, name: str) -> str:
        """A value that changes when the rows (in any order) or the columns of `name` change."""

    @abstractmethod
    def rows(self, sql: str) -> list[tuple]:
        """The (small) result of a query as Python tuples, e.g. a summary figure."""

    @abstractmethod
    def close(self) -> None: ...
