"""Undo what an unfinished writer left: the next writer's first step, under the lock.

Recovery knows only the two kinds of change a writer transaction stages (stedi/commit/
transaction.py): table commits, put back by compare-and-set, and whole files replaced, whose
originals the journal's `kept_aside` folder holds (stedi/commit/aside.py). What a committed
writer must still do is named in its journal (`finish`) and done by the finishing step of that
name, registered by the package that defines it (`register_finisher`; stedi/forget/finish.py
registers an erasure's, and `import stedi` imports it, so every writer has it): recovery never
imports the writers above it.

Rolling back is idempotent, so a writer killed while rolling back is rolled back again.
"""

from __future__ import annotations

from typing import Callable, Mapping

from stedi.aws.faults import aws_failure
from stedi.commit.aside import put_back
from stedi.commit.journal import JOURNAL_FILE, Journal
from stedi.commit.lock import still_writing
from stedi.commit.state import STATE_FILE, LakeState
from stedi.errors import LockLostError, StediError
from stedi.lake import Lake
from stedi.store.iceberg_store import referenced_files

Say = Callable[[str], None]
# A finishing step: what a committed writer's journal says is left to do (its `finish`), done by
# the next writer under the lock; it deletes the journal once done.
Finisher = Callable[[Lake, Journal, Say], None]
FINISHERS: dict[str, Finisher] = {}  # journal `finish` name -> its step


def register_finisher(name: str, step: Finisher) -> None:
    """Make `step` the finishing step of journals whose `finish` is `name`, for every writer."""
    FINISHERS[name] = step


def recover(lake: Lake, say: Say, finishers: Mapping[str, Finisher] | None = None) -> None:
    """Settle the run a leftover journal names, and remove half-written small files."""
    for folder in ["", "runs", *(lake.landing_dir(s) for s in lake.sources)]:
        lake.storage.remove_partials(folder)
    journal = Journal.read(lake.storage)
    if journal is not None:
        settle(lake, journal, say, finishers=finishers)


# Journal folders a committed writer keeps: a forget's erasure report keeps its people out later;
# a new tag's record (stedi/pipeline/tagging.py).
KEPT_ONCE_COMMITTED = ("report", "tag")


def settle(lake: Lake, journal: Journal, say: Say | None = None, own: bool = False,
           finishers: Mapping[str, Finisher] | None = None) -> None:
    """Finish an unfinished run's journal: tidy up if the run became visible (its state was
    written, then it stopped), and do what it left to finish; else roll it back. `own`: the
    journal is this process's own run's (its undo), not a dead writer's."""
    try:
        state = LakeState.read(lake.storage)
    except StediError:
        state = None  # unreadable: the run cannot have finished writing it
    still_writing(lake)  # a writer whose lock was taken over settles nothing: the new holder does
    if state is not None and state.names(journal.run_id):
        # Its own files stay where a table holds them; the folders of tables it left unchanged go,
        # and so do its scratch folders, but for what it committed to keep (an erasure report).
        for name, folder in journal.folders.items():
            if name in KEPT_ONCE_COMMITTED:
                continue
            if state.tables.get(name) is None or state.tables[name].run_id != journal.run_id:
                lake.storage.delete_tree(folder)
        lake.storage.remove_spill(journal.run_id)
        if journal.finish:  # e.g. a forget's older snapshots still hold its people: they go first
            _finisher(lake, journal, finishers)(lake, journal, say or (lambda message: None))
            return
        Journal.delete(lake.storage)
        return
    if say:
        say(f"rolling back unfinished run {journal.run_id}")
    try:
        roll_back(lake, journal, own)
    except LockLostError:
        raise  # another writer holds the lake now: it settles this journal, not us
    except Exception as e:
        fault = aws_failure(e) or (e if isinstance(e, StediError) else None)
        if fault is None:
            raise
        # Rolling back is idempotent and its journal stays: whoever writes next starts it over.
        raise StediError(f"rolling back unfinished run {journal.run_id} was interrupted ({fault}); "
                         "the next writer will finish it") from None


def _finisher(lake: Lake, journal: Journal, finishers: Mapping[str, Finisher] | None) -> Finisher:
    """The finishing step the journal names; a writer opened without it stops here, loudly: a
    committed writer's remains (e.g. the snapshots that still hold erased people) are never skipped."""
    finisher = (FINISHERS if finishers is None else finishers).get(journal.finish or "")
    if finisher is None:
        raise StediError(f"{lake.storage.path(JOURNAL_FILE)}: run {journal.run_id} is committed but must still "
                         f"be finished ({journal.finish}), and this command cannot finish it; run `stedi maintain`")
    return finisher


def roll_back(lake: Lake, journal: Journal, own: bool = False) -> None:
    """Every table back to the metadata it had before the run; every file the run wrote deleted.
    Files the run replaced whole are first put back from where it kept their originals (a folder
    the journal names, deleted with the others). Only under the lock (`settle` checks it); a
    table goes back only from the metadata the run itself committed (`own`: the ones this process
    knows it committed, see Journal.committed; else whatever the catalog names other than the
    metadata before, which under the lock only the journal's run can have made)."""
    if journal.kept_aside:
        put_back(lake.storage, journal.kept_aside)
    if journal.previous is not None:
        store = lake.store
        current = store.metadata_locations()
        for name, previous in journal.previous.items():
            now = current.get(name)
            if now is not None and now != previous:
                if now != _committed_by_run(journal, name, now, own) or not store.roll_back(name, now, previous):
                    continue  # another writer's commit: its metadata files stay too
            _remove_unreferenced(lake, name, previous)
    for folder in journal.folders.values():
        lake.storage.delete_tree(folder)
    lake.storage.remove_spill(journal.run_id)
    Journal.delete(lake.storage)


def _committed_by_run(journal: Journal, table: str, now: str, own: bool) -> str | None:
    """The metadata the journal's run committed to `table`, as far as the roller knows."""
    if not own:
        return now
    # The table being committed when the run failed: its commit may have gone through unanswered.
    return journal.committed.get(table, now if table == journal.in_flight else None)


def _remove_unreferenced(lake: Lake, table: str, metadata_location: str | None) -> None:
    """Delete the files in a table's metadata folder that `metadata_location` does not refer to
    (its log, manifest lists, manifests): the commits the run made, half-written ones too."""
    keep = set()
    if metadata_location:
        keep = {lake.storage.relative(f) for f in referenced_files(metadata_location, lake.storage.iceberg_properties())}
    for entry in lake.storage.files(f"{lake.table_folder(table)}/metadata"):
        if entry.relative not in keep:
            lake.storage.delete(entry.relative)


def relocate(lake: Lake, say: Say) -> None:
    """A lake moved or copied elsewhere still has catalog entries naming the old place, where
    a commit would write. Forget them (the old place is left alone) and remove their stale
    copies here, so this run rebuilds every table inside this lake from landing. Only a
    catalog kept inside the lake moves with it; a shared one (Glue) refuses other lakes."""
    if not lake.storage.catalog_inside:
        return
    store = lake.store
    foreign = {name: loc for name, loc in store.metadata_locations().items() if not lake.holds(loc)}
    if not foreign:
        return
    say(f"this lake was moved or copied from {lake.origin(next(iter(foreign.values())))}: "
        "rebuilding its tables here")
    for name, location in foreign.items():
        store.roll_back(name, location, None)
        if name in lake.table_names:
            for part in ("metadata", "data"):
                lake.storage.delete_tree(f"{lake.table_folder(name)}/{part}")
    lake.storage.delete(STATE_FILE)
