"""A lake: its zone folders, its config and its catalog, on a local disk or in S3.

<lake>/stedi.toml                         settings (marks a lake); a local lake's pseudonym key
<lake>/catalog.db                         a local lake's Iceberg catalog (SQLite); an S3 lake's
                                          tables are in the AWS Glue Data Catalog
<lake>/<source>/landing/*.json            raw files as delivered
<lake>/<source>/{trusted,curated}/        Iceberg tables (data/ and metadata/ inside)
<lake>/<source>/accepted/                 Iceberg table of accepted landing lines, typed, and the
                                          files read into it
<lake>/quarantine/                        Iceberg table of rejected landing lines
<lake>/runs/<run-id>.json                 summary of each `stedi run`
<lake>/state.json                         the tables of the last complete run (what readers read)
<lake>/journal.json                       only while a writer is at work, or after one died
<lake>/.lock                              the writers' lock (stedi/storage/lock.py, s3_lock.py)

The layout is the same in S3 (`s3://bucket/prefix/customer/landing/`, ...), as in the original.
A lake is made with its landing zones (stedi/landing/zones.py).
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from stedi.config import CONFIG_FILE, Config, parse_settings, settings_text
from stedi.errors import NotALakeError, StediError
from stedi.storage import FileEntry, Storage, open_storage
from stedi.storage.landing_file import LandingFile
from stedi.store.catalog import CatalogAccess
from stedi.store.catalogs import catalog_for
from stedi.store.iceberg_store import IcebergStore
from stedi.store.state import LakeState

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
    # Every accepted landing line, typed, with the files read into it (what incremental runs
    # build from: a consent granted today admits readings delivered months ago).
    "customer_accepted": "customer/accepted",
    "accelerometer_accepted": "accelerometer/accepted",
    "step_trainer_accepted": "step_trainer/accepted",
}
# The sources, each with a landing zone (their fields: stedi/landing/sources.py), in build order.
SOURCE_NAMES = tuple(name.removesuffix("_landing") for name in TABLE_LOCATIONS if name.endswith("_landing"))


class LandingState(NamedTuple):
    signature: str
    bytes: int


def zone_of(table: str) -> str:
    if table == "quarantine":
        return "quarantine"
    zone = TABLE_LOCATIONS[table].split("/")[1]
    return "landing" if zone == "accepted" else zone


def load_config(lake: Storage | Path, env: Mapping[str, str] | None = None) -> Config:
    """The effective config of a lake (its storage, or a local folder): defaults < lake file < environment."""
    lake = open_storage(lake) if isinstance(lake, Path) else lake
    path = lake.path(CONFIG_FILE)
    try:
        text = lake.read_text(CONFIG_FILE)
    except (OSError, UnicodeDecodeError) as e:
        raise StediError(f"{path}: cannot read the lake config: {e}") from None
    return parse_settings(text, path, lake.keeps_key_in_config, env)


def write_config(lake: Storage | Path, config: Config) -> None:
    """Write the lake's config file."""
    lake = open_storage(lake) if isinstance(lake, Path) else lake
    # Created private: the key is never in a file others can read, not even for a moment.
    lake.write_atomic(CONFIG_FILE, settings_text(config, lake.keeps_key_in_config), private=True)


class Lake:
    def __init__(self, storage: Storage, config: Config):
        self.storage = storage
        self.config = config
        self.writer_lock: Any = None  # the lock while this process writes the lake (stedi/commit/transaction.py)

    @classmethod
    def open(cls, location: Path | str) -> "Lake":
        storage = open_storage(location)
        storage.check()  # first: a missing bucket or a bad key is named as such, not as a missing lake
        if not storage.is_file(CONFIG_FILE):
            if storage.exists(""):
                raise NotALakeError(f"{storage.root}: not a STEDI lake (it has no {CONFIG_FILE})")
            raise NotALakeError(f"{storage.root}: no lake here (create one with `stedi ingest SRC --lake {storage.root}`)")
        return cls(storage, load_config(storage))

    @staticmethod
    def exists_at(storage: Storage) -> bool:
        """Whether a lake is there; False where one can be made (nothing there), and refused
        where there is something else."""
        if storage.is_file(CONFIG_FILE):
            return True
        if storage.exists("") and (storage.files("") or storage.folders("")):
            raise NotALakeError(f"{storage.root}: not a STEDI lake and not empty; choose a new place for the lake")
        return False

    @property
    def root(self) -> str:
        """The lake as users name it: a local folder or s3://bucket/prefix."""
        return self.storage.root

    @cached_property
    def catalog(self) -> CatalogAccess:
        return catalog_for(self.storage, self.config)

    @property
    def store(self) -> IcebergStore:
        return IcebergStore(self.catalog, self.storage.iceberg_properties())

    @property
    def pseudonym_key(self) -> str:
        return self.storage.pseudonym_key(self.config)

    def run_record(self, run_id: str) -> dict | None:
        """The summary a `stedi run` recorded (runs/<run-id>.json); None if it is missing or unreadable."""
        try:
            text = self.storage.read_text(f"runs/{run_id}.json")
            return json.loads(text) if text is not None else None
        except (StediError, OSError, ValueError):
            return None

    def state(self) -> LakeState | None:
        """The tables of the last complete run: what readers read."""
        return LakeState.read(self.storage)

    @property
    def sources(self) -> list[str]:
        return list(SOURCE_NAMES)

    @property
    def table_names(self) -> list[str]:
        return list(TABLE_LOCATIONS)

    @property
    def stored_tables(self) -> list[str]:
        """The Iceberg tables a run commits (landing tables are views over the raw files)."""
        return [name for name in TABLE_LOCATIONS if not name.endswith("_landing")]

    def holds(self, location: str) -> bool:
        """Whether a location (a path or URI) lies inside this lake."""
        return self.storage.holds(location)

    def origin(self, metadata_location: str) -> str:
        """The lake a table's metadata file lies in (to say where a moved lake came from)."""
        path = metadata_location.removeprefix("file://")
        for relative in TABLE_LOCATIONS.values():
            marker = f"/{relative}/metadata/"
            if marker in path:
                return path.split(marker)[0]
        return path.rsplit("/", 1)[0]

    def table_folder(self, table: str) -> str:
        """A table's folder, relative to the lake."""
        return TABLE_LOCATIONS[table]

    def location(self, table: str) -> str:
        """A table's folder as Iceberg records it."""
        return self.storage.uri(TABLE_LOCATIONS[table])

    def landing_dir(self, source: str) -> str:
        return TABLE_LOCATIONS[f"{source}_landing"]

    def landing_files(self, source: str) -> list[FileEntry]:
        """Landing files of a source in delivery order (names carry the delivery time)."""
        return self.storage.files(self.landing_dir(source), suffix=".json", stamped=True)

    def landing_inputs(self, source: str, scratch: Path, entries: list[FileEntry] | None = None) -> list[LandingFile]:
        """A source's landing files (`entries`: these of them) for an engine; a file in S3 is
        streamed into `scratch` when the engine first needs its bytes."""
        entries = self.landing_files(source) if entries is None else entries
        return [LandingFile(self.storage.path(e.relative), partial(self.storage.local_file, e.relative, scratch))
                for e in entries]

    def landing_state(self) -> LandingState:
        """A digest of every landing file's name, size and modification time (it changes when
        a delivery is ingested or a landing file is rewritten), and their total size. A hint for
        what a run may need (changes.plan decides); the change stamp is left out: a forget undone
        moves the files themselves back, stamped anew (hard links and renames set it)."""
        digest, total = hashlib.sha256(), 0
        for source in SOURCE_NAMES:
            for entry in self.landing_files(source):
                digest.update(f"{entry.relative}\0{entry.size}\0{entry.mtime_ns}\n".encode())
                total += entry.size
        return LandingState(digest.hexdigest(), total)

    def relative(self, location: str) -> str:
        """A location as shown to users and stored in quarantine: relative to the lake."""
        return self.storage.shown(str(location))
