"""Time travel: the stored tables as a past run left them (`stedi query --as-of WHEN`).

WHEN is a tag's name (looked up first: stedi/time_travel/tags.py), a run id or a time. A run's
moment is when it became visible: `committed_at_ms` in its record (runs/<id>.json); an older
record has none, so then the newest snapshot the run committed marks it (and for a run that
committed nothing, the last change of the runs before it).
A time means the lake as readers saw it then: the last run visible by then, whole. A time in the
middle of a run's commits gives the run before, never some tables of each, as state.json did.

Each table is read from the metadata file state.json names now (older metadata files may be
gone), at the snapshot its snapshot log says was current at that moment. Expiry drops snapshots
from that log: a sequence number no kept snapshot has marks where the kept history starts, and
before it the table cannot be read (pyiceberg's `snapshot_as_of_timestamp` would answer with an
older snapshot across such a gap, and its expiry clears the parent ids that would show one, so
the log is read, in history.py). Landing tables are views over the files landing holds today, not
versioned: they cannot be read as of a past moment.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Iterable

from stedi.errors import StediError
from stedi.time_travel.history import RUN_PROPERTY, History, kept_from, snapshot_log
from stedi.time_travel.tags import is_tag_shaped, read_tag, refs_named, tag_names

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from stedi.lake import Lake

RUN_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")  # as stedi/pipeline/run.py names runs
RETENTION = "snapshots are expired by the keep_snapshots and keep_days settings (the lake's stedi.toml)"
FORMS = ("a run id (runs/<id>.json), an ISO 8601 time (2026-11-28T14:00:00Z, 2026-11-28 14:00; UTC unless "
         "it names a zone), a date (2026-11-28: 00:00 UTC that day) or epoch milliseconds")
_SHOWN_RUNS = 5  # run ids an unknown-run error lists
_MIN_EPOCH_MS = 10**11  # 1973: fewer digits are epoch seconds, or a date typed without dashes

__all__ = ["FORMS", "RETENTION", "RUN_ID", "RUN_PROPERTY", "PointInTime", "TableAt", "format_ms", "landing_problem",
           "parse_time", "resolve", "run_ids", "time_ms"]


@dataclass(frozen=True)
class TableAt:
    """One stored table at the moment: its snapshot then, or why it has none to read."""

    name: str
    table: "Table"  # opened from the metadata file state.json names
    snapshot_id: int | None
    problem: str | None = None  # one line; set when snapshot_id is None


@dataclass(frozen=True)
class PointInTime:
    """Where `as_of` resolved: each stored table's snapshot at `moment_ms`."""

    asked: str  # as given: a run id, or the time in UTC
    moment_ms: int  # epoch ms each table is read at
    run_id: str | None  # the run whose tables these are (None: no kept snapshot names one)
    tables: dict[str, TableAt]

    def describe(self) -> str:
        if self.asked == self.run_id:
            return f"run {self.run_id} ({format_ms(self.moment_ms)})"
        return self.asked + (f" (run {self.run_id})" if self.run_id else "")

    def at(self, name: str) -> TableAt:
        """A table as of this moment, or a one-line error saying why it cannot be read."""
        if name.endswith("_landing"):
            raise StediError(landing_problem(name))
        found = self.tables.get(name)
        if found is None:
            raise StediError(f"table {name} was not built as of {self.describe()}")
        if found.problem:
            raise StediError(found.problem)
        return found

    def check(self, names: Iterable[str]) -> None:
        """Fail on the first table a query names that cannot be read as of this moment."""
        for name in sorted(names):
            if name.endswith("_landing") or name in self.tables:
                self.at(name)

    def readable(self) -> dict[str, TableAt]:
        return {name: t for name, t in self.tables.items() if t.problem is None}


def landing_problem(name: str) -> str:
    return (f"{name} is a view over the landing files as they are now; landing is not versioned, so it "
            "cannot be read as of a past moment (read the trusted and curated tables instead)")


def format_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resolve(lake: "Lake", tables: dict[str, "Table"], when: "str | int | datetime | date") -> PointInTime:
    """`tables`: each stored table as state.json names it. A run id or time nothing can be read at
    (unknown, malformed, before the lake's first run) fails here; a table that cannot be read then
    fails only when read (PointInTime.at)."""
    history = History(tables)
    erasures = _erasures(lake)
    if isinstance(when, str):
        text = when.strip()
        if is_tag_shaped(text) and (tagged := _tagged(lake, tables, text)) is not None:
            return tagged
        if text in history.runs or _has_record(lake, text):
            return _point(tables, text, _run_moment(lake, text, history), text, erasures)
        if RUN_ID.fullmatch(text):
            raise StediError(_unknown_run(lake, text, history))
        asked_ms = parse_time(text)
    else:
        asked_ms = time_ms(when)
    asked = format_ms(asked_ms)
    moment, run_id = history.visible_at(asked_ms)
    if moment is None:
        first = _first_run(lake, history)
        if first is None and not history.cut:
            raise StediError(f"the lake {lake.root} has no run yet: `stedi run` builds its tables")
        if first is not None and asked_ms < first[0]:
            raise StediError(f"{asked} is before the lake's first run ({first[1]}, {format_ms(first[0])})")
        moment = asked_ms  # before the history expiry kept: each table says what it lost
    return _point(tables, asked, moment, run_id, erasures)


def _tagged(lake: "Lake", tables: dict[str, "Table"], name: str) -> PointInTime | None:
    """Each table at the snapshot its Iceberg tag `name` names; None if no table has that tag."""
    snapshots = refs_named(tables, name)
    if not snapshots:
        record = read_tag(lake, name) if name in tag_names(lake) else None
        if record is not None and record.deleted:
            raise StediError(f"tag {name} was deleted (its history: {lake.storage.path(f'tags/{name}')})")
        return None
    run_id = getattr(read_tag(lake, name), "run_id", None)
    moment = _committed_at(_record(lake, run_id)) if run_id else None
    found = {}
    for table_name, table in tables.items():
        snapshot = snapshots.get(table_name)
        if snapshot is not None and not run_id:  # (a record lost: the snapshot says whose it is)
            summary = table.snapshot_by_id(snapshot).summary
            run_id = summary[RUN_PROPERTY] if summary else None
        found[table_name] = TableAt(table_name, table, snapshot, None if snapshot else
                                    f"table {table_name} has no tag {name} (it was not built at the run tagged)")
    if moment is None:
        moment = max(tables[t].snapshot_by_id(s).timestamp_ms for t, s in snapshots.items())
    return PointInTime(name, moment, run_id, found)


def _erasures(lake: "Lake") -> list[tuple[int, str]]:
    """(when, id) of each forget the lake kept an erasure report of (erasures/<id>/report.json)."""
    import json

    found = []
    for entry in lake.storage.files("erasures", suffix="report.json", recursive=True):
        try:
            report = json.loads(lake.storage.read_text(entry.relative) or "{}")
            found.append((int(report["erased_at_ms"]), str(report["erasure_id"])))
        except (ValueError, KeyError, TypeError):
            continue
    return found


def parse_time(text: str) -> int:
    """Epoch ms from a time as a user writes it (see FORMS)."""
    if text.isascii() and text.isdigit():
        if int(text) < _MIN_EPOCH_MS:
            raise StediError(f"as of {text!r}: epoch milliseconds have 12 or more digits; for a date write "
                             "YYYY-MM-DD")
        return time_ms(int(text))
    try:
        return time_ms(datetime.fromisoformat(text))
    except ValueError:
        raise StediError(f"as of {text!r}: not a run id or a time; give {FORMS}, or a tag's name "
                         "(`stedi tag --list`, Lakehouse.tags())") from None


def time_ms(when: "int | datetime | date") -> int:
    """Epoch ms; a time without a zone is UTC, a date is 00:00 UTC that day."""
    if isinstance(when, datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        return round(aware.timestamp() * 1000)
    if isinstance(when, date):
        return time_ms(datetime(when.year, when.month, when.day))
    if isinstance(when, int) and not isinstance(when, bool):
        try:
            format_ms(when)
        except (OverflowError, ValueError, OSError):
            raise StediError(f"as of {when}: epoch milliseconds out of range") from None
        return when
    raise StediError(f"as of {when!r}: give {FORMS}")


def _point(tables: dict[str, "Table"], asked: str, moment: int, run_id: str | None,
           erasures: list[tuple[int, str]] = ()) -> PointInTime:  # type: ignore[assignment]
    shown = PointInTime(asked, moment, run_id, {}).describe()
    # A forget expires every older snapshot: the first one after the moment is why it is gone.
    later = min((e for e in erasures if e[0] > moment), default=None)
    why = (f"a forget (erasure {later[1]} at {format_ms(later[0])}) expired every older snapshot, so that the "
           "people it erased cannot be read back" if later else RETENTION)
    return PointInTime(asked, moment, run_id,
                       {name: _table_at(name, t, moment, shown, why) for name, t in tables.items()})


def _table_at(name: str, table: "Table", moment: int, shown: str, why: str = RETENTION) -> TableAt:
    log = snapshot_log(table)
    start = kept_from(table, log)
    if start is not None and moment < start:
        return TableAt(name, table, None, f"table {name} cannot be read as of {shown}: its snapshots from then "
                                          f"were expired (the oldest moment it can be read as of is "
                                          f"{format_ms(start)}); {why}")
    current = [snapshot for ms, snapshot in log if snapshot is not None and ms <= moment]
    if not current:
        since = f" (its first snapshot is from {format_ms(log[0][0])})" if log else ""
        return TableAt(name, table, None, f"table {name} was not built yet as of {shown}{since}")
    return TableAt(name, table, current[-1].snapshot_id)


def _has_record(lake: "Lake", text: str) -> bool:
    # Only a name that stays inside runs/: WHEN comes from the command line.
    return bool(re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_-]*", text)) and lake.storage.is_file(f"runs/{text}.json")


def _record(lake: "Lake", run_id: str) -> dict:
    record = lake.run_record(run_id)
    return record if isinstance(record, dict) else {}


def _committed_at(record: dict) -> int | None:
    value = record.get("committed_at_ms")  # records before it was added have none
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _run_moment(lake: "Lake", run_id: str, history: History) -> int:
    record = _record(lake, run_id)
    committed = _committed_at(record)
    if committed is not None:
        return committed
    if run_id in history.runs:
        return history.runs[run_id]
    # A run that committed nothing (its rows were there already) left the lake as the runs before
    # it did: its moment is their last change (its record names some tables' snapshots, not all).
    order = run_ids(lake, history.runs)
    before = order[:order.index(run_id)] if run_id in order else []
    named = [t.get("snapshot_id") for t in record.get("tables", []) if isinstance(t, dict)]
    kept = [history.runs[r] for r in before if r in history.runs] + [
        history.snapshots[s] for s in named if s in history.snapshots]
    if kept:
        return max(kept)
    raise StediError(f"run {run_id}: none of its snapshots is kept any more; {RETENTION}")


def run_ids(lake: "Lake", also: Iterable[str] = ()) -> list[str]:
    """The runs with a record, and `also`, oldest first. A run id starts with the second its run
    started; of runs started in the same second, the record written first is the older, and one
    without a record the newest (a run that could not write its record is the last one: the next
    writer writes it)."""
    written = {e.name.removesuffix(".json"): e.mtime_ns for e in lake.storage.files("runs", suffix=".json")}
    names = {n for n in written if RUN_ID.fullmatch(n)} | set(also)
    return sorted(names, key=lambda n: (n[:15], written.get(n, math.inf), n))


def _first_run(lake: "Lake", history: History) -> tuple[int, str] | None:
    """The lake's first run and its moment, as far as records and kept snapshots tell."""
    found = [(moment, run) for run, moment in history.runs.items()]
    recorded = run_ids(lake)
    if recorded:
        oldest = recorded[0]
        # Its kept snapshots, where its record does not say, give a moment at or before its own.
        moment = _committed_at(_record(lake, oldest)) or history.runs.get(oldest)
        if moment is not None:
            found.append((moment, oldest))
        elif history.cut:
            return None  # its snapshots were expired: its moment is unknown
    return min(found) if found else None


def _unknown_run(lake: "Lake", run_id: str, history: History) -> str:
    known = run_ids(lake, history.runs)
    if not known:
        return f"no run {run_id}: the lake {lake.root} has no run yet"
    return (f"no run {run_id} in {lake.root}; the last runs: {', '.join(reversed(known[-_SHOWN_RUNS:]))} "
            f"(every run has a record in {lake.storage.path('runs')})")
