"""Run records (`runs/<run-id>.json`): each run's summary, written once it is committed.

A record is written after the run's commit point (state.json), so it can fail (a full disk, a
`runs/` folder that cannot be written) where the run itself succeeded: that is a warning, never
the run's failure. The next writer then writes the missing record from what the lake still
tells of the run (`catch_up`): the state names it, and the summary of every snapshot it
committed carries its id (`stedi.run-id`), its consent policy and the table's rows. Such a
record is marked `reconstructed`: lines read, seconds and audits are not known any more.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Callable, Iterator

from stedi.commit.state import STATE_FILE
from stedi.errors import WARNING, StediError, one_line
from stedi.interrupts import CommittedInterrupt, is_interrupt
from stedi.pipeline.summary import RunSummary, TableResult
from stedi.store.iceberg_store import metadata_json
from stedi.time_travel import RUN_PROPERTY

if TYPE_CHECKING:
    from stedi.commit.state import LakeState
    from stedi.lake import Lake

Say = Callable[[str], None]


def record_file(run_id: str) -> str:
    return f"runs/{run_id}.json"


def write_record(lake: "Lake", summary: "RunSummary") -> None:
    """Keep the run's summary in the lake: `stedi tables` shows landing counts from it."""
    lake.storage.write_atomic(record_file(summary.run_id), json.dumps(asdict(summary), indent=2))


def record_committed(lake: "Lake", summary: "RunSummary", say: Say) -> None:
    """Write the record of a run that is committed already: a failure is a warning (the next
    writer writes the record)."""
    try:
        write_record(lake, summary)
    except Exception as e:  # noqa: BLE001 - the run succeeded; its record can be written again
        said = f"could not write the run's record into {lake.storage.path('runs')}"
        after = ("every table stays as it was" if summary.nothing_new
                 else f"run {summary.run_id} is committed, and the next run writes its record")
        if not any(w.startswith(said) for w in summary.warnings):  # a run writes it twice: one warning
            warn(summary, say, f"{said} ({_why(e)}); {after}")


def _why(error: BaseException) -> str:
    """Why a write failed, in a few words (the caller names the place)."""
    return getattr(error, "strerror", None) or one_line(error)


def warn(summary: RunSummary, say: Say, message: str) -> None:
    """A problem after the commit point: kept with the run, and said as a warning."""
    summary.warnings.append(message)
    say(WARNING + message)


def noting(summary: "RunSummary", say: Say) -> Say:
    """`say`, keeping the warnings among its messages with the run."""
    def note(message: str) -> None:
        if message.startswith(WARNING):
            summary.warnings.append(message.removeprefix(WARNING))
        say(message)
    return note


@contextmanager
def after_commit(summary: "RunSummary") -> Iterator[None]:
    """Work after the run's commit point: a Ctrl-C in it stops the command, saying the run is committed."""
    try:
        yield
    except BaseException as e:
        if is_interrupt(e) and not isinstance(e, CommittedInterrupt):
            raise CommittedInterrupt(summary.run_id) from None
        raise


def catch_up(lake: "Lake", say: Say) -> None:
    """The next writer's part: the run the lake's state names gets the record it could not
    write. Never fails the writer: where it cannot be written, it is said and tried again."""
    try:
        state = lake.state()
        if state is None or not state.run_id or lake.storage.is_file(record_file(state.run_id)):
            return
        record = reconstruct(lake, state.run_id, state)
        if record is None:
            return
        lake.storage.write_atomic(record_file(state.run_id), json.dumps(record, indent=2))
    except Exception as e:  # noqa: BLE001 - the writer's own work comes first
        say(f"{WARNING}could not write the missing record of the lake's last run into {lake.storage.path('runs')} "
            f"({_why(e)}); the next writer tries again")
        return
    say(f"wrote the missing record of run {state.run_id}, reconstructed from the lake's state and snapshots")


def named_runs(lake: "Lake") -> list[str]:
    """The runs the lake's state or its tables' kept snapshots name (their records may be missing)."""
    try:
        state = lake.state()
    except StediError:
        return []
    if state is None:
        return []
    found = {state.run_id} if state.run_id else set()
    for snapshots, _ in _snapshots(lake, state).values():
        found |= {s["summary"][RUN_PROPERTY] for s in snapshots if RUN_PROPERTY in s.get("summary", {})}
    return sorted(found)


def reconstruct(lake: "Lake", run_id: str, state: "LakeState | None" = None) -> dict | None:
    """A record of `run_id` from the lake's state and snapshots, marked `reconstructed`; None if
    neither names the run."""
    state = state or lake.state()
    if state is None:
        return None
    tables = _snapshots(lake, state)
    ours = [s for snapshots, _ in tables.values() for s in snapshots
            if s.get("summary", {}).get(RUN_PROPERTY) == run_id]
    if ours:
        moment = max(int(s["timestamp-ms"]) for s in ours)
    elif state.run_id == run_id:  # it committed no table (no rows changed): it became visible with the state
        moment = next((e.mtime_ns // 1_000_000 for e in lake.storage.files("") if e.relative == STATE_FILE), 0)
    else:
        return None
    policy = state.consent_policy if state.run_id == run_id else ours[-1]["summary"].get("stedi.consent-policy", "")
    erasure = lake.storage.is_file(f"erasures/{run_id}/report.json")
    summary = RunSummary(run_id, policy, landing_signature=state.landing_signature if state.run_id == run_id else "",
                         committed_at_ms=moment, command="forget" if erasure else "run", reconstructed=True)
    totals: dict[str, tuple[int | None, int]] = {}
    for name, (snapshots, log) in tables.items():
        current = [entry["snapshot-id"] for entry in log if int(entry["timestamp-ms"]) <= moment]
        snapshot = next((s for s in snapshots if current and s["snapshot-id"] == current[-1]), None)
        if snapshot is not None:
            totals[name] = (snapshot["snapshot-id"], int(snapshot.get("summary", {}).get("total-records", 0)))
    for name in lake.table_names:
        stored = name.replace("_landing", "_accepted")
        if stored not in totals or (name == stored and (name.endswith("_accepted") or name == "quarantine")):
            continue
        snapshot_id, total = totals[stored]
        summary.tables.append(TableResult(name, 0, 0, 0, 0.0, None if name != stored else snapshot_id, total=total))
    return asdict(summary)


def _snapshots(lake: "Lake", state: "LakeState") -> dict[str, tuple[list[dict], list[dict]]]:
    """Each table the state names: its kept snapshots and its snapshot log, from the metadata
    file the state names (read as JSON: no pyiceberg import)."""
    found = {}
    for name, table in state.tables.items():
        metadata = metadata_json(lake.storage, table.metadata_location) or {}
        found[name] = (metadata.get("snapshots", []), metadata.get("snapshot-log", []))
    return found
