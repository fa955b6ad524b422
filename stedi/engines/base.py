"""What every engine offers. The pipeline talks only to this interface.

An engine reads landing files (`LandingFile`, stedi/storage), runs the models' SQL and writes
Parquet files into a table's location; the lines it refuses are `Rejected` (stedi/landing/
quarantine). It never talks to the catalog: the table store commits its files.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from stedi.landing.quarantine import Rejected
from stedi.landing.sources import Source
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class LandingLoad:
    source: str
    lines_read: int
    accepted: int
    rejected: list[Rejected]


@dataclass(frozen=True)
class Written:
    files: list[str]  # Parquet files holding the rows (none when there are no rows)
    rows: int
    # Files the engine wrote but that hold no rows (an empty result still writes one): the
    # caller removes them, through the lake's storage.
    empty: list[str] = field(default_factory=list)


class Engine(ABC):
    name: str

    @abstractmethod
    def load_landing(self, source: Source, files: list[LandingFile]) -> LandingLoad:
        """Parse and type the landing files; make `<source>_landing` readable by later SQL."""

    def load_all(self, inputs: list[tuple[Source, list[LandingFile]]],
                 say: Callable[[str], None]) -> list[tuple[LandingLoad, float]]:
        """load_landing for each source, with the seconds each took. One after another here (a
        lake in S3 then needs local disk for one source at a time); an engine that gains by
        reading them side by side may."""
        import time

        done = []
        for source, files in inputs:
            say(f"reading {source.landing_table} ({len(files)} files)")
            started = time.perf_counter()
            done.append((self.load_landing(source, files), time.perf_counter() - started))
        return done

    def landing_used(self, source: str, accepted: str) -> None:
        """The run has written `source`'s accepted rows, readable as `accepted`: the rows
        `<source>_landing` gives (less a forgotten person's old lines, which the run then reads
        no more). An engine may read `<source>_landing` from them from now on and let go of what
        it held for the lines. Here it keeps them."""

    def rows_of_each(self, queries: list[str]) -> list[list[tuple]]:
        """rows() of several independent queries (one after another here)."""
        return [self.rows(sql) for sql in queries]

    @abstractmethod
    def set_parameters(self, **values: str) -> None:
        """Provide the one-row `run_parameters` relation the models read."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """Make `name` readable as the result of `sql` (DuckDB dialect), without storing it."""

    @abstractmethod
    def write_parquet(self, name: str, sql: str, directory: str, cluster: tuple[str, int] | None = None,
                      order: tuple[str, ...] = ()) -> Written:
        """Write the result of `sql` as Parquet files into `directory` (new, empty; a local
        path or an s3:// URI, its parent already made); then make `name` readable from them.
        `cluster`: (column, n): the rows in n files by a hash of the column, so that each
        customer's rows are in one of them (a later change to a customer rewrites that file, not
        the table). `order`: columns to sort the rows of each file by, so that a reader's filter
        on them skips row groups by their statistics. An engine may write them otherwise; it
        changes no row."""

    @abstractmethod
    def write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: str) -> Written:
        """Write a few Python rows (columns: name → SQL type) as Parquet, like write_parquet."""

    @abstractmethod
    def register_parquet(self, name: str, files: list[str], schema: "pa.Schema") -> None:
        """Make `name` readable from existing Parquet files (an empty list: no rows)."""

    @abstractmethod
    def materialize(self, name: str, sql: str) -> None:
        """Compute `sql` once and keep its rows as `name` for the rest of the run (small results
        read several times, such as the customers a delivery affects)."""

    @abstractmethod
    def files_holding(self, files: list[str], where: str) -> list[str]:
        """Which of these Parquet files hold at least one row for which `where` (SQL over their
        columns) is true: the files a row-level change must rewrite."""

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
