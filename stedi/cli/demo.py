"""`stedi demo`: a realistic data set from the seeded generator, through every zone."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from stedi.config import CONFIG_FILE
from stedi.errors import StediError

DEMO_MARK = ".stedi-demo"  # a lake with this file was made by `stedi demo` and may be remade


def _fresh_lake(path: Path) -> None:
    if not path.exists():
        return
    if (path / DEMO_MARK).exists():
        shutil.rmtree(path)
        return
    if path.is_dir() and not any(path.iterdir()):
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
        (path / DEMO_MARK).write_text("made by `stedi demo`; the next demo may replace this lake\n")
        report = house.ingest(Path(delivery))
        status(f"ingested {len(report.copied)} landing files into {path}")
    summary = house.run(consent_policy=consent_policy, progress=status)
    print_summary(summary)
    print()
    print_tables(house, title=f"tables in {path}")
    print(f'\nTry: stedi query --lake {path} "SELECT * FROM machine_learning_curated LIMIT 5"')
    return 0
