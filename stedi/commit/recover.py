"""Undo what an unfinished writer left: the next writer's first step, under the lock.

Rolling back is idempotent, so a writer killed while rolling back is rolled back again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from stedi.commit.atomic import remove_partials
from stedi.commit.journal import Journal
from stedi.commit.state import STATE_FILE, LakeState
from stedi.errors import StediError
from stedi.lake import Lake
from stedi.store.iceberg_store import IcebergStore, referenced_files

Say = Callable[[str], None]


def recover(lake: Lake, say: Say) -> None:
    """Settle the run a leftover journal names, and remove half-written small files."""
    for folder in [lake.root, lake.runs_dir, *(lake.landing_dir(s) for s in lake.sources)]:
        remove_partials(folder)
    journal = Journal.read(lake.root)
    if journal is not None:
        settle(lake, journal, say)


def settle(lake: Lake, journal: Journal, say: Say | None = None) -> None:
    """Finish an unfinished run's journal: tidy up if the run became visible (its state was
    written, then it stopped), else roll it back."""
    try:
        state = LakeState.read(lake.root)
    except StediError:
        state = None  # unreadable: the run cannot have finished writing it
    if state is not None and state.run_id == journal.run_id:
        # Its own files stay where a table holds them; the folders of tables it left unchanged go.
        for name, folder in journal.folders.items():
            if state.tables.get(name) is None or state.tables[name].run_id != journal.run_id:
                shutil.rmtree(lake.root / folder, ignore_errors=True)
        Journal.delete(lake.root)
        return
    if say:
        say(f"rolling back unfinished run {journal.run_id}")
    roll_back(lake, journal)


def roll_back(lake: Lake, journal: Journal) -> None:
    """Every table back to the metadata it had before the run; every file the run wrote deleted."""
    if journal.previous is not None:
        store = IcebergStore(lake.catalog_path)
        current = store.metadata_locations()
        for name, previous in journal.previous.items():
            now = current.get(name)
            if now is not None and now != previous:
                store.roll_back(name, now, previous)
            _remove_unreferenced(lake.location(name) / "metadata", previous)
    for folder in journal.folders.values():
        shutil.rmtree(lake.root / folder, ignore_errors=True)
    Journal.delete(lake.root)


def _remove_unreferenced(folder: Path, metadata_location: str | None) -> None:
    """Delete the files in a table's metadata folder that `metadata_location` does not refer to
    (its log, manifest lists, manifests): the commits the run made, half-written ones too."""
    if not folder.is_dir():
        return
    keep = referenced_files(metadata_location) if metadata_location else set()
    for path in folder.iterdir():
        if path.is_file() and str(path) not in keep:
            path.unlink()


def relocate(lake: Lake, say: Say) -> None:
    """A lake moved or copied elsewhere still has catalog entries naming the old place, where
    a commit would write. Forget them (the old place is left alone) and remove their stale
    copies here, so this run rebuilds every table inside this lake from landing."""
    store = IcebergStore(lake.catalog_path)
    foreign = {name: loc for name, loc in store.metadata_locations().items() if not lake.holds(loc)}
    if not foreign:
        return
    say(f"this lake was moved or copied from {lake.origin(next(iter(foreign.values())))}: "
        "rebuilding its tables here")
    for name, location in foreign.items():
        store.roll_back(name, location, None)
        if name in lake.table_names:
            for part in ("metadata", "data"):
                shutil.rmtree(lake.location(name) / part, ignore_errors=True)
    (lake.root / STATE_FILE).unlink(missing_ok=True)
