"""`stedi ingest`: bring delivered files into the lake's landing zone, exactly as delivered.

A delivery is a local folder or an S3 prefix, in the starter layout (`customer/landing/*.json`)
or the flat one (`customer/*.json`). A file already in landing with the same name and bytes
is skipped, so ingesting twice changes nothing. A different file under a name landing
already holds is refused: landing is never edited in place. Each copy becomes visible whole
(renamed into place on a disk; an S3 upload appears only once complete).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stedi.errors import InputError
from stedi.lake import Lake
from stedi.landing.sources import SOURCES
from stedi.storage import FileEntry, Storage


@dataclass
class IngestReport:
    copied: list[str] = field(default_factory=list)  # lake-relative paths
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # messages


def find_delivery(src: Storage) -> dict[str, list[FileEntry]]:
    """The landing files of a delivery (a folder or prefix), per source."""
    if not src.exists(""):
        src.check()
        raise InputError(f"{src.root}: no such folder")
    if src.is_file(""):
        raise InputError(f"{src.root}: not a folder (expected customer/landing/*.json and the like inside)")
    found: dict[str, list[FileEntry]] = {}
    for name in SOURCES:
        for folder in (f"{name}/landing", name):
            files = src.files(folder, suffix=".json")
            if files:
                found[name] = files
                break
    if not found:
        layouts = ", ".join(f"{n}/landing/*.json" for n in SOURCES)
        raise InputError(f"{src.root}: no landing files found (expected {layouts}, or {'/*.json, '.join(SOURCES)}/*.json)")
    return found


def ingest(lake: Lake, src: Storage) -> IngestReport:
    report = IngestReport()
    for source, files in find_delivery(src).items():
        target_dir = lake.landing_dir(source)
        lake.storage.make_folder(target_dir)
        present = {e.name: e for e in lake.landing_files(source)}
        for entry in files:
            target = f"{target_dir}/{entry.name}"
            if entry.name in present:
                if present[entry.name].size == entry.size and _digest(lake.storage, target) == _digest(src, entry.relative):
                    report.unchanged.append(target)
                else:
                    report.conflicts.append(f"{src.path(entry.relative)}: landing already holds a different "
                                            f"{target}; deliver changes under a new file name")
                continue
            try:
                lake.storage.put(src, entry.relative, target)
            except OSError as e:
                raise InputError(f"{src.path(entry.relative)}: cannot copy into the lake: {e.strerror or e}") from None
            report.copied.append(target)
    return report


def _digest(storage: Storage, relative: str) -> str:
    try:
        return storage.digest(relative)
    except OSError as e:
        raise InputError(f"{storage.path(relative)}: cannot read: {e.strerror or e}") from None
