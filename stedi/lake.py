"""A lake on disk: its zone folders, its config and its catalog.

<lake>/stedi.toml                         settings and the pseudonym key (marks a lake)
<lake>/catalog.db                         the Iceberg catalog (SQLite)
<lake>/<source>/landing/*.json            raw files as delivered
<lake>/<source>/{trusted,curated}/        Iceberg tables (data/ and metadata/ inside)
<lake>/quarantine/                        Iceberg table of rejected landing lines
<lake>/runs/<run-id>.json                 summary of each `stedi run`
<lake>/state.json                         the tables of the last complete run (what readers read)
<lake>/journal.json                       only while a writer is at work, or after one died
<lake>/.lock                              the writers' lock (see stedi/commit)
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from stedi.config import CONFIG_FILE, Config, load_config, write_config
from stedi.errors import NotALakeError
from stedi.landing.sources import SOURCES
from stedi.locations import local_path

if TYPE_CHECKING:
    from stedi.commit.state import LakeState

# Where each table lives, relative to the lake: the S3 layout of the original.
TABLE_LOCATIONS = {
    "customer_landing": "customer/landing",
    "accelerometer_landing": "accelerometer/landing",
    "step_trainer_landing": "step_trainer/landing",
    "customer_trusted": "customer/trusted",
    "accelerometer_trusted": "accelerometer/trusted",
    "step_trainer_trusted": "step_trainer/trusted",
    "customer_curated": "customer/curated",
    "machine_learning_curated": "step_trainer/curated",
    "quarantine": "quarantine",
}


class LandingState(NamedTuple):
    signature: str
    bytes: int


def zone_of(table: str) -> str:
    return "quarantine" if table == "quarantine" else TABLE_LOCATIONS[table].split("/")[1]


class Lake:
    def __init__(self, root: Path, config: Config):
        self.root = root
        self.config = config

    @classmethod
    def open(cls, root: Path | str) -> "Lake":
        root = Path(root).expanduser().absolute()
        if not root.exists():
            raise NotALakeError(f"{root}: no lake here (create one with `stedi ingest SRC --lake {root}`)")
        if not (root / CONFIG_FILE).is_file():
            raise NotALakeError(f"{root}: not a STEDI lake (it has no {CONFIG_FILE})")
        return cls(root, load_config(root))

    @classmethod
    def open_or_create(cls, root: Path | str) -> "Lake":
        """Open a lake, creating it where the folder is missing or empty."""
        root = Path(root).expanduser().absolute()
        if (root / CONFIG_FILE).is_file():
            return cls.open(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise NotALakeError(f"{root}: not a STEDI lake and not empty; choose a new folder for the lake")
        root.mkdir(parents=True, exist_ok=True)
        for source in SOURCES:
            (root / source / "landing").mkdir(parents=True, exist_ok=True)
        write_config(root, replace(Config(), pseudonym_key=secrets.token_hex(32)))
        return cls(root, load_config(root))

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.db"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def run_record(self, run_id: str) -> dict | None:
        """The summary a `stedi run` recorded (runs/<run-id>.json); None if it is missing or unreadable."""
        import json

        try:
            return json.loads((self.runs_dir / f"{run_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def state(self) -> "LakeState | None":
        """The tables of the last complete run: what readers read."""
        from stedi.commit.state import LakeState

        return LakeState.read(self.root)

    @property
    def sources(self) -> list[str]:
        return list(SOURCES)

    @property
    def table_names(self) -> list[str]:
        return list(TABLE_LOCATIONS)

    def holds(self, location: str) -> bool:
        """Whether a file location (a path or file:// URI) lies inside this lake."""
        return Path(local_path(location)).is_relative_to(self.root)

    def origin(self, metadata_location: str) -> str:
        """The lake folder a table's metadata file lies in (to say where a moved lake came from)."""
        path = local_path(metadata_location)
        for name, relative in TABLE_LOCATIONS.items():
            marker = f"/{relative}/metadata/"
            if marker in path:
                return path.split(marker)[0]
        return str(Path(path).parent)

    @property
    def temp_dir(self) -> Path:
        return self.root / ".tmp"

    def location(self, table: str) -> Path:
        return self.root / TABLE_LOCATIONS[table]

    def landing_dir(self, source: str) -> Path:
        return self.root / source / "landing"

    def landing_files(self, source: str) -> list[Path]:
        """Landing files of a source in delivery order (names carry the delivery time)."""
        folder = self.landing_dir(source)
        return sorted(p for p in folder.glob("*.json") if p.is_file()) if folder.is_dir() else []

    def landing_state(self) -> LandingState:
        """A digest of every landing file's name, size and modification time (it changes when
        a delivery is ingested or a landing file is rewritten), and their total size."""
        import hashlib

        digest, total = hashlib.sha256(), 0
        for source in SOURCES:
            for path in self.landing_files(source):
                stat = path.stat()
                digest.update(f"{self.relative(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
                total += stat.st_size
        return LandingState(digest.hexdigest(), total)

    def relative(self, path: Path | str) -> str:
        """A path as shown to users and stored in quarantine: relative to the lake."""
        try:
            return str(Path(path).absolute().relative_to(self.root))
        except ValueError:
            return str(path)
