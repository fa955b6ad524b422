"""`stedi demo`: a realistic data set from the seeded generator, through every zone."""

from __future__ import annotations

import hmac
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from stedi.config import CONFIG_FILE
from stedi.errors import StediError

DEMO_MARK = ".stedi-demo"  # a lake with this file was made by `stedi demo` and may be remade
_MARK_TEXT = "made by `stedi demo`; the next demo may replace this lake\n"
# What a lake holds at its top; a demo lake holding anything else holds something of the user's.
_LAKE_TOP = {CONFIG_FILE, DEMO_MARK, "catalog.db", "catalog.db-journal", "catalog.db-wal", "catalog.db-shm",
             "state.json", "journal.json", ".lock", ".tmp", "runs", "reports", "erasures", "quarantine",
             "customer", "accelerometer", "step_trainer"}


def _seal(key: str) -> str:
    """The mark's proof that this very lake was made by the demo: keyed by the lake's own
    pseudonym key, so a mark copied from a demo lake (or written by hand) proves nothing."""
    return hmac.new(key.encode(), b"made by stedi demo", "sha256").hexdigest()


def _made_by_demo(path: Path) -> bool:
    from stedi.lake import Lake

    mark = path / DEMO_MARK
    if mark.is_symlink() or not mark.is_file():
        return False
    try:
        key = Lake.open(path).config.pseudonym_key
        return bool(key) and hmac.compare_digest(mark.read_text().splitlines()[-1], f"seal {_seal(key)}")
    except (StediError, OSError, UnicodeDecodeError, IndexError):
        return False


def _fresh_lake(path: Path) -> None:
    """Make way for the demo's lake: nothing there, an empty folder, or a lake the demo made
    (then deleted). Anything else is refused, and a symlink is never followed to delete."""
    if path.is_symlink():
        raise StediError(f"{path}: a symlink; the demo replaces only a folder it made itself: pass --lake with "
                         "the folder's own path, or a new folder")
    if not path.exists():
        return
    if path.is_dir() and not any(path.iterdir()):
        return
    if path.is_dir() and _made_by_demo(path):
        foreign = sorted(p.name for p in path.iterdir() if p.name not in _LAKE_TOP and not p.name.endswith(".partial"))
        if foreign:
            raise StediError(f"{path}: a demo lake that also holds {', '.join(foreign[:3])}, which no lake holds; "
                             "move it out, or pass --lake with a new folder")
        shutil.rmtree(path)
        return
    what = "a lake not made by `stedi demo`" if (path / CONFIG_FILE).exists() else "a folder that is not empty"
    raise StediError(f"{path}: {what}; the demo needs a fresh lake: pass --lake with a new folder")


def demo(lake: str | None, customers: int, seed: int, consent_policy: str | None,
         status: Callable[[str], None]) -> int:
    from stedi.cli.progress import generate_with_progress
    from stedi.cli.summary import print_summary, print_tables
    from stedi.lakehouse import Lakehouse, default_lake_path

    from stedi.storage import is_remote

    where = lake or default_lake_path()
    if is_remote(where):
        raise StediError(f"{where}: the demo builds a local lake; for a lake in S3 use `stedi ingest` and `stedi run`")
    path = Path(where).absolute()
    _fresh_lake(path)
    with tempfile.TemporaryDirectory(prefix="stedi-demo-") as delivery:
        status(f"generating {customers} customers (seed {seed})")
        generate_with_progress(Path(delivery), customers, seed)
        house = Lakehouse(path, create=True)
        house.lake.storage.write_atomic(DEMO_MARK, f"{_MARK_TEXT}seal {_seal(house.lake.pseudonym_key)}\n")
        report = house.ingest(Path(delivery))
        status(f"ingested {len(report.copied)} landing files into {path}")
    summary = house.run(consent_policy=consent_policy, progress=status)
    print_summary(summary)
    print()
    print_tables(house, title=f"tables in {path}")
    print(f'\nTry: stedi query --lake {path} "SELECT * FROM machine_learning_curated LIMIT 5"')
    return 0
