"""`stedi ingest`: bring delivered files into the lake's landing zone, exactly as delivered.

What a delivery holds, and what ingest takes of it, is stedi/landing/delivery.py. A file already
in landing with the same name and bytes is skipped, so ingesting twice changes nothing. A
different file under a name landing already holds is refused: landing is never edited in
place. Each copy becomes visible whole (renamed into place on a disk; an S3 upload appears only
once complete). A `.json.gz` file lands decompressed as `.json`, streamed; one that is not a
whole gzip file is refused, naming it, and nothing of it lands.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from stedi.aws.faults import stopped
from stedi.errors import InputError
from stedi.lake import Lake
from stedi.landing.delivery import Delivered, find_delivery, not_taken_lines
from stedi.storage import Storage
from stedi.storage.base import Other

__all__ = ["IngestReport", "find_delivery", "ingest"]


@dataclass
class IngestReport:
    copied: list[str] = field(default_factory=list)  # lake-relative paths
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # messages: refused, nothing of it taken
    decompressed: list[tuple[str, str]] = field(default_factory=list)  # (delivered .json.gz, landing .json)
    not_taken: list[Other] = field(default_factory=list)  # what the delivery held besides, and why

    def not_taken_lines(self) -> list[str]:
        """One line per kind of what was not taken, with the first names."""
        return not_taken_lines(self.not_taken)


def ingest(lake: Lake, src: Storage) -> IngestReport:
    delivery = find_delivery(src)
    report = IngestReport(conflicts=list(delivery.conflicts), not_taken=list(delivery.not_taken))
    for source, files in delivery.files.items():
        target_dir = lake.landing_dir(source)
        lake.storage.make_folder(target_dir)
        present = {e.name: e for e in lake.landing_files(source)}
        for item in files:
            entry, target = item.entry, f"{target_dir}/{item.landing_name}"
            try:
                if item.landing_name in present:
                    size_may_match = item.gzipped or present[item.landing_name].size == entry.size
                    if size_may_match and _digest(lake.storage, target) == _delivered_digest(src, item):
                        report.unchanged.append(target)
                    else:
                        report.conflicts.append(f"{src.path(entry.relative)}: landing already holds a different "
                                                f"{target}; deliver changes under a new file name")
                    continue
                if item.gzipped:
                    with src.open_input(entry.relative) as raw, _gunzip(raw) as data, \
                            lake.storage.open_output(target) as out:
                        _copy(data, out)
                    report.decompressed.append((entry.relative, target))
                else:
                    lake.storage.put(src, entry.relative, target)
            except _GzipError as e:
                report.conflicts.append(f"{src.path(entry.relative)}: {e}; nothing of it was taken")
                continue
            except Exception as e:
                cut = stopped(e, lake.storage.path(target), _fate(report))
                if cut is not None:  # a cut network or throttling that outlasted the retries
                    raise cut from None
                if isinstance(e, OSError):
                    raise InputError(f"{src.path(entry.relative)}: cannot copy into the lake: {e.strerror or e}") from None
                raise
            report.copied.append(target)
    return report


def _fate(report: IngestReport) -> str:
    return (f"ingest stopped: the {len(report.copied)} file(s) copied before this one are in landing, the rest of "
            "the delivery is not (ingest it again: what landing already holds is skipped)")


class _GzipError(Exception):
    """A .json.gz file that is not a whole gzip file, in a user's words."""


def _gunzip(raw: BinaryIO) -> "BinaryIO":
    import gzip

    return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]


def _copy(data: BinaryIO, out: BinaryIO) -> None:
    """Stream the decompressed bytes; a damaged gzip file becomes a _GzipError (the output, not
    completed, never appears)."""
    for block in _blocks(data):
        out.write(block)


def _blocks(data: BinaryIO) -> Iterator[bytes]:
    import gzip
    import zlib

    while True:
        try:
            block = data.read(1 << 20)
        except EOFError:
            raise _GzipError("not a whole gzip file (it ends before its last block)") from None
        except gzip.BadGzipFile as e:
            if str(e).startswith("Not a gzipped file"):
                raise _GzipError("not a gzip file") from None
            raise _GzipError(f"a damaged gzip file ({e})") from None
        except zlib.error as e:
            raise _GzipError(f"a damaged gzip file ({e})") from None
        if not block:
            return
        yield block


def _delivered_digest(src: Storage, item: Delivered) -> str:
    """The digest of the bytes a delivered file lands as (decompressed, for a .json.gz)."""
    if not item.gzipped:
        return _digest(src, item.entry.relative)
    h = hashlib.sha256()
    try:
        with src.open_input(item.entry.relative) as raw, _gunzip(raw) as data:
            for block in _blocks(data):
                h.update(block)
    except OSError as e:
        raise InputError(f"{src.path(item.entry.relative)}: cannot read: {e.strerror or e}") from None
    return h.hexdigest()


def _digest(storage: Storage, relative: str) -> str:
    try:
        return storage.digest(relative)
    except OSError as e:
        raise InputError(f"{storage.path(relative)}: cannot read: {e.strerror or e}") from None
