"""What the table store needs of an Iceberg catalog, whichever keeps the lake's tables.

A local lake keeps them in a SQLite file inside the lake (sqlite_catalog); a lake in S3 in
the AWS Glue Data Catalog (glue_catalog). Writers commit through pyiceberg's catalog; the
commit protocol reads each table's current metadata file and, to roll a run back, sets it
back by compare-and-set: the same check a pyiceberg commit makes, the other way round.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog


# What registering a catalog entry did (or, in a dry run, would do).
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class LandingTable:
    """A landing zone as an external JSON table (what `stedi ddl` renders for Athena)."""

    name: str
    location: str  # the landing folder's URI, ending in '/'
    columns: list[tuple[str, str]]  # column name, Hive/Athena type (e.g. bigint, string)
    docs: dict[str, str] = field(default_factory=dict)  # column name: what it is (the column's comment)


class CatalogAccess(ABC):
    namespace: str  # the Iceberg namespace (a Glue database)
    # Whether other engines read this catalog, so the landing zones belong in it too.
    keeps_landing = False
    # Whether a new table is created with its first contents in one commit (the SQLite catalog);
    # Glue keeps making it empty first, then committing (CreateTable, then UpdateTable).
    creates_with_contents = False

    @abstractmethod
    def pyiceberg(self) -> "Catalog":
        """pyiceberg's catalog, for writers' commits."""

    @abstractmethod
    def metadata_locations(self, write: bool = True) -> dict[str, str]:
        """Every Iceberg table of the namespace and its current metadata file.
        `write`: False for a reader, which must change nothing."""

    @abstractmethod
    def set_metadata_location(self, table: str, expected: str, new: str | None) -> bool:
        """Point `table` at metadata `new` (None: remove the table from the catalog, its files
        untouched) if it still points at `expected`. True if it changed."""

    def register_landing(self, tables: list[LandingTable], dry_run: bool = False) -> dict[str, str]:
        """Make the landing zones visible to other engines (e.g. Athena) as external tables;
        nothing where no other engine reads the catalog. Returns each table's CREATED, UPDATED
        or UNCHANGED; `dry_run`: what it would do, changing nothing."""
        return {}

    def close(self) -> None:
        """Let go of open connections (after a failed commit, before rolling back)."""

    @abstractmethod
    def describe(self) -> str:
        """The catalog in a user's words, e.g. 'Glue database stedi'."""
