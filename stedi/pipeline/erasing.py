"""A forget's change of the tables: exactly what the rewrite of landing changed, nothing else.

`stedi forget` rewrites the landing files that hold a person's lines (they go) or mentions of
them in other people's lines (replaced in place). The tables must then equal a full rebuild of
the rewritten landing. So the rewritten files that runs had read are read twice, as runs read
them: as they were (their originals, kept aside by the forget) and as they are now. Then

- each accepted table loses the rows the originals gave and the new files do not (the person's
  rows, and other people's rows as they were before a mention was replaced), and gains the rows
  the new files give and the originals did not (those rows with the mention replaced);
- the quarantine rows of those files are replaced by the new files' rejected lines (numbered
  anew, the mentions replaced);
- the people erased, and the owners of every row that went or came, are the customers whose
  rows an incremental build remakes from the accepted tables (stedi/pipeline/incremental.py).

A mixin of the Builder (stedi/pipeline/build.py), whose engine, lake and plan it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from stedi.landing.sources import SOURCES
from stedi.pipeline import incremental as inc
from stedi.pipeline.changes import accepted_table

if TYPE_CHECKING:
    from stedi.pipeline.build import Built
    from stedi.storage import FileEntry


@dataclass(frozen=True)
class Erasing:
    """A `stedi forget`: every spelling of the people's emails, and per source the landing files
    runs had read that it rewrote, as they were (their originals' entries, kept aside)."""

    emails: frozenset[str]
    originals: dict[str, list["FileEntry"]] = field(default_factory=dict)
    rewritten: frozenset[str] = frozenset()  # lake-relative names of those files (as quarantine names them)


def before(source: str) -> str:
    """The accepted rows of the rewritten files as they were."""
    return f"before_{source}"


def gone(source: str) -> str:
    """The distinct rows (one struct column `r`) the originals gave and the new files do not."""
    return f"gone_{source}"


def _row(columns: list[str]) -> str:
    """A row as one struct: equal rows give equal structs, NULLs included (as IN compares them)."""
    return "struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + ")"


# The column naming each source's owner: compared first, so that only their rows build a struct.
OWNER = {"customer": "email", "accelerometer": "user", "step_trainer": "serialnumber"}


def _one_of(columns: list[str], source: str) -> str:
    owner = OWNER[source]
    return (f'"{owner}" IN (SELECT struct_extract(r, \'{owner}\') FROM {gone(source)}) '
            f"AND {_row(columns)} IN (SELECT r FROM {gone(source)})")


class Erasures:
    """The forget's steps of the Builder."""

    def _read_originals(self) -> None:
        """Parse the rewritten files as they were, as a run parses them: `before_<source>`."""
        quiet = lambda message: None  # noqa: E731 - the user sees the forget's own progress
        inputs = [(source, self.lake.landing_inputs(name, self.spill, self.erasing.originals.get(name, [])))
                  for name, source in SOURCES.items()]
        for (source, _), _done in zip(inputs, self.engine.load_all(inputs, quiet)):
            self.engine.materialize(before(source.name), f"SELECT * FROM {source.landing_table}")

    def _added_rows(self, source: str) -> str:
        """This forget's "delivery": the rows the rewritten files give that the originals did not."""
        return f"SELECT * FROM ({self._accepted_sql(source)}) EXCEPT ALL SELECT * FROM {before(source)}"

    def _without_erased(self) -> None:
        """The rows that go, and each accepted table as the last run left it without them."""
        columns = {name: self.engine.schema(inc.old_rows(accepted_table(name))).names for name in SOURCES}
        for name in SOURCES:
            kept = f"SELECT * FROM {name}_landing"  # the rewritten files as they are now
            self.engine.materialize(gone(name), f"SELECT DISTINCT {_row(columns[name])} AS r FROM "
                                                f"(SELECT * FROM {before(name)} EXCEPT {kept})")
            table = accepted_table(name)
            self.engine.register_parquet(f"all_{table}", self.old[table].files, self.engine.schema(inc.old_rows(table)))
            self.engine.create_view(inc.old_rows(table),
                                    f"SELECT * FROM all_{table} WHERE NOT coalesce({_one_of(columns[name], name)}, false)")
        self._gone_columns = columns

    def _remove_erased(self, staged: "Built", source: str) -> int:
        """Rewrite the accepted table's files that hold a row that goes; how many rows went."""
        return self._remove_rows(staged, inc.old_rows(staged.name), _one_of(self._gone_columns[source], source))

    def _erased_owners(self) -> str:
        """The customers whose rows the forget changes: the people, and the owners of every
        accepted row that goes (those of the rows that come are found as a delivery's are)."""
        listed = ", ".join("(" + exp.Literal.string(e).sql("duckdb") + ")" for e in sorted(self.erasing.emails))
        self.engine.materialize("erased_emails", f"SELECT * FROM (VALUES {listed or '(NULL)'}) AS v(email) "
                                                 "WHERE email IS NOT NULL")
        return ("SELECT email FROM erased_emails "
                f"UNION SELECT struct_extract(r, 'email') FROM {gone('customer')} "
                f"UNION SELECT struct_extract(r, 'user') FROM {gone('accelerometer')} "
                "UNION SELECT h.email FROM customer_holders AS h WHERE h.serialnumber IN "
                f"(SELECT struct_extract(r, 'serialnumber') FROM {gone('step_trainer')})")

    def _replace_quarantined(self, staged: "Built") -> int:
        """Take out the quarantine rows of the rewritten files (the new files' rejected lines
        replace them); returns how many went."""
        if not self.erasing.rewritten:
            staged.remove = []
            return 0
        files = ", ".join(exp.Literal.string(f).sql("duckdb") for f in sorted(self.erasing.rewritten))
        return self._remove_rows(staged, inc.old_rows("quarantine"), f"file IN ({files})")
