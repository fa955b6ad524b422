"""`stedi ingest`: bring delivered files into the lake's landing zone, exactly as delivered.

Accepts the starter layout (`customer/landing/*.json`) and the flat one (`customer/*.json`).
A file already in landing with the same name and bytes is skipped, so ingesting twice
changes nothing. A different file under a name landing already holds is refused: landing
is never edited in place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from stedi.errors import InputError
from stedi.lake import Lake
from stedi.landing.sources import SOURCES


@dataclass
class IngestReport:
    copied: list[str] = field(default_factory=list)  # lake-relative paths
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # messages


def find_delivery(src: Path) -> dict[str, list[Path]]:
    """The landing files of a delivery folder, per source."""
    if not src.exists():
        raise InputError(f"{src}: no such folder")
    if not src.is_dir():
        raise InputError(f"{src}: not a folder (expected customer/landing/*.json and the like inside)")
    found: dict[str, list[Path]] = {}
    for name in SOURCES:
        for folder in (src / name / "landing", src / name):
            files = sorted(p for p in folder.glob("*.json") if p.is_file()) if folder.is_dir() else []
            if files:
                found[name] = files
                break
    if not found:
        layouts = ", ".join(f"{n}/landing/*.json" for n in SOURCES)
        raise InputError(f"{src}: no landing files found (expected {layouts}, or {'/*.json, '.join(SOURCES)}/*.json)")
    return found


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    return h.hexdigest()


def ingest(lake: Lake, src: Path) -> IngestReport:
    report = IngestReport()
    for source, files in find_delivery(src).items():
        target_dir = lake.landing_dir(source)
        target_dir.mkdir(parents=True, exist_ok=True)
        for path in files:
            target = target_dir / path.name
            shown = lake.relative(target)
            if target.exists():
                if target.stat().st_size == path.stat().st_size and _digest(target) == _digest(path):
                    report.unchanged.append(shown)
                else:
                    report.conflicts.append(
                        f"{path}: landing already holds a different {shown}; deliver changes under a new file name"
                    )
                continue
            partial = target.with_name(f".{target.name}.partial")
            try:
                shutil.copyfile(path, partial)
                os.replace(partial, target)  # readers never see half a file
            except OSError as e:
                partial.unlink(missing_ok=True)
                raise InputError(f"{path}: cannot copy into the lake: {e.strerror}") from None
            report.copied.append(shown)
    return report
