"""One storage layer for every lake: a root folder on a pyarrow filesystem.

The lake, the commit protocol, ingest and the readers talk only to this interface, with
lake-relative paths (`customer/landing/x.json`). A local lake and a lake in S3 differ in
the few things their media differ in, each a method of their own class: how a small file
is replaced atomically, how writers take turns (lock.py, s3_lock.py), where the pseudonym
key is kept, and where DuckDB spills. Which catalog keeps a lake's tables is the store's
(stedi/store/catalogs.py).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, ContextManager

from stedi.storage.entries import NOT_REGULAR, FileEntry, Listing, Other

if TYPE_CHECKING:
    import pyarrow.fs

    from stedi.config import Config

__all__ = ["FileEntry", "Listing", "Other", "Storage"]


class Storage(ABC):
    """A lake's (or a delivery's) root: `root` is how users and DuckDB name it."""

    root: str
    fs: "pyarrow.fs.FileSystem"

    @abstractmethod
    def _fs_path(self, relative: str) -> str:
        """The path of a lake-relative file in `fs`."""

    # -- names ------------------------------------------------------------------------

    def path(self, relative: str = "") -> str:
        """A file as DuckDB reads it and users see it: /abs/lake/rel or s3://bucket/prefix/rel."""
        return f"{self.root}/{relative}" if relative else self.root

    def uri(self, relative: str = "") -> str:
        """A location as Iceberg records it."""
        return self.path(relative)

    def relative(self, location: str) -> str | None:
        """The lake-relative path of a location (a path or URI), None if it lies outside."""
        location = location.removeprefix("file://")
        if location == self.root:
            return ""
        if location.startswith(self.root + "/"):
            return location[len(self.root) + 1 :].strip("/")
        return None

    def holds(self, location: str) -> bool:
        return self.relative(location) is not None

    def shown(self, location: str) -> str:
        """A location as shown to users and stored in quarantine: lake-relative where it can be."""
        relative = self.relative(location)
        return relative if relative is not None else location.removeprefix("file://")

    # -- files --------------------------------------------------------------------------

    def exists(self, relative: str) -> bool:
        from pyarrow.fs import FileType

        return self._call(lambda: self.fs.get_file_info(self._fs_path(relative)).type, relative) != FileType.NotFound

    def is_file(self, relative: str) -> bool:
        from pyarrow.fs import FileType

        return self._call(lambda: self.fs.get_file_info(self._fs_path(relative)).type, relative) == FileType.File

    def read_bytes(self, relative: str) -> bytes | None:
        """A whole (small) file; None if there is none."""
        def read() -> bytes | None:
            try:
                with self.fs.open_input_stream(self._fs_path(relative), compression=None) as fh:
                    return fh.read()
            except FileNotFoundError:
                return None
        return self._call(read, relative)

    def read_text(self, relative: str) -> str | None:
        data = self.read_bytes(relative)
        return None if data is None else data.decode("utf-8")

    def open_input(self, relative: str) -> BinaryIO:
        # The bytes as stored: pyarrow would decompress a name ending in .gz by itself.
        return self._call(lambda: self.fs.open_input_stream(self._fs_path(relative), compression=None), relative)

    def read_versioned(self, relative: str) -> tuple[bytes | None, str | None]:
        """A whole (small) file and its version, for `replace_if`: what any rewrite changes (here
        the bytes' hash; an ETag in S3). (None, None) if there is none."""
        data = self.read_bytes(relative)
        return data, None if data is None else hashlib.sha256(data).hexdigest()

    def replace_if(self, relative: str, text: str, version: str | None) -> None:
        """Replace a small file as `write_atomic` does, only if it is still at `version` (None:
        only if there is none); else ChangedMeanwhileError, the file untouched. Here the check
        and the write are two steps: a local lake's writers take turns by a lock the kernel holds
        for the holder's whole life, so no other stedi writer comes between them."""
        from stedi.errors import ChangedMeanwhileError

        if self.read_versioned(relative)[1] != version:
            raise ChangedMeanwhileError(f"{self.path(relative)}: changed by another writer meanwhile; not replaced")
        self.write_atomic(relative, text)

    @abstractmethod
    def write_atomic(self, relative: str, text: str, private: bool = False) -> None:
        """Replace a small file so that a reader sees the old one or the new, never half.
        `private`: readable by its owner only, from the start (where the medium has modes, every
        file of a lake is)."""

    def files(self, relative: str, suffix: str = "", recursive: bool = False,
              stamped: bool = False) -> list[FileEntry]:
        """The files in a folder (none if it is missing), sorted by path; `stamped`: with
        `FileEntry.changed` (one more call per file, or per page of a listing)."""
        from pyarrow.fs import FileSelector, FileType

        base = self._fs_path(relative)
        def list_() -> list[Any]:
            return self.fs.get_file_info(FileSelector(base, allow_not_found=True, recursive=recursive))
        found = []
        for info in self._call(list_, relative):
            if info.type != FileType.File or not info.base_name.endswith(suffix):
                continue
            inner = info.path[len(base) :].strip("/")
            mtime = info.mtime_ns if info.mtime_ns is not None else 0
            found.append(FileEntry(f"{relative}/{inner}" if relative else inner, info.size or 0, mtime))
        found.sort(key=lambda e: e.relative)
        return self._stamped(relative, found) if stamped else found

    def _stamped(self, relative: str, entries: list[FileEntry]) -> list[FileEntry]:
        """`entries` (files under the folder `relative`) with `changed` set where the medium has it."""
        return entries

    def listing(self, relative: str) -> Listing:
        """What is directly in a folder, for a reader that must not leave the root (ingest reading
        a delivery). Here (S3) every key is what it says; LocalStorage follows no symlink out."""
        from pyarrow.fs import FileSelector, FileType

        base = self._fs_path(relative)
        infos = self._call(lambda: self.fs.get_file_info(FileSelector(base, allow_not_found=True)), relative)
        files, folders, others = [], [], []
        for info in sorted(infos, key=lambda i: i.base_name):
            inner = f"{relative}/{info.base_name}" if relative else info.base_name
            if info.type == FileType.File:
                files.append(FileEntry(inner, info.size or 0, info.mtime_ns or 0))
            elif info.type == FileType.Directory:
                folders.append(inner)
            else:
                others.append(Other(inner, NOT_REGULAR))
        return Listing(files, folders, others)

    def folders(self, relative: str) -> list[str]:
        """The names of the folders directly in a folder."""
        from pyarrow.fs import FileSelector, FileType

        infos = self._call(lambda: self.fs.get_file_info(FileSelector(self._fs_path(relative), allow_not_found=True)),
                           relative)
        return sorted(i.base_name for i in infos if i.type == FileType.Directory)

    def delete(self, relative: str) -> None:
        try:
            self._call(lambda: self.fs.delete_file(self._fs_path(relative)), relative)
        except FileNotFoundError:
            pass

    @abstractmethod
    def delete_tree(self, relative: str) -> None:
        """Delete a folder and everything in it; nothing if it is missing."""

    def purge_old_versions(self) -> int:
        """Delete old versions of the lake's files that the medium keeps (S3 versioning); how many.
        A version it cannot delete fails it, naming the version (StediError)."""
        return 0

    def remove_empty_folder(self, relative: str) -> None:
        """Remove a folder that holds nothing; a folder with any file in it stays, whoever wrote
        the file meanwhile (never deletes a file)."""

    def digest(self, relative: str) -> str:
        h = hashlib.sha256()
        with self.open_input(relative) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    @abstractmethod
    def move(self, relative: str, target: str) -> None:
        """Move a file to `target`, replacing what is there. A reader of `target` sees the old
        file or the new, never half; `relative` may stay until the move is complete (in S3 a
        move is a copy, then a delete), so a move cut short is done again by moving again."""

    @abstractmethod
    def copy(self, relative: str, target: str) -> None:
        """Copy a file within the storage; `target` appears whole or not at all."""

    @abstractmethod
    def open_output(self, relative: str) -> "ContextManager[BinaryIO]":
        """A binary stream whose bytes become the file `relative` when the block ends without
        error (whole, durably); nothing appears where it fails. For files too big to hold."""

    @abstractmethod
    def put(self, source: "Storage", source_relative: str, relative: str) -> None:
        """Copy a file from another storage in, so that readers never see half of it."""

    @abstractmethod
    def local_file(self, relative: str, scratch: Path) -> Path:
        """A local file with the bytes of `relative`, for Python code that needs one (numbering
        lines, counting bytes): the file itself on a local disk, else a copy under `scratch`."""

    def make_folder(self, relative: str) -> None:
        """Create a folder where the medium has folders (S3 has only keys)."""

    def lake_above(self) -> str | None:
        """The lake this location lies inside (a folder or prefix above it with a stedi.toml), if any."""
        return None

    def check(self) -> None:
        """Fail with one line if the lake's place cannot be used at all (e.g. no such bucket)."""

    def remove_partials(self, relative: str) -> None:
        """Delete the half-written small files a killed writer left (only where writes are not atomic)."""

    def _call(self, action: Callable[[], Any], relative: str) -> Any:
        """Run a filesystem call; storage-specific errors become one line naming the file."""
        return action()

    # -- what differs by medium ----------------------------------------------------------

    @abstractmethod
    def writer_lock(self, command: str) -> Any:
        """The lock writers take (a WriterLock-like object: acquire(wait, on_wait), release())."""

    def owner_only(self, say: Callable[[str], None] | None = None) -> ContextManager[None]:
        """What a writer works inside, holding the lock: where the medium has modes, every file
        it creates is private (600, folders 700) and a lake made looser is made private first,
        saying so. S3 has none: who reads a bucket is its policy's matter."""
        from contextlib import nullcontext

        return nullcontext()

    @abstractmethod
    def create_key(self, config: "Config") -> "Config":
        """Make and keep a new pseudonym key for a new lake; return the config to write."""

    def abandon_key(self) -> None:
        """Undo `create_key` where the lake it was made for could not be made."""

    @abstractmethod
    def pseudonym_key(self, config: "Config") -> str:
        """The lake's pseudonym key, from where this medium keeps it."""

    @abstractmethod
    def spill_folder(self, run_id: str) -> tuple[Path, str | None]:
        """A local folder for DuckDB to spill into during a run, and its lake-relative path where
        it lies inside the lake (then the journal names it, and a dead run's is removed)."""

    def iceberg_properties(self) -> dict[str, str]:
        """What pyiceberg needs to read and write this storage's files."""
        return {}

    # Whether the pseudonym key is kept in the lake's stedi.toml (else elsewhere, e.g. a secret store).
    keeps_key_in_config = False

    def remove_spill(self, run_id: str) -> None:
        """Remove a run's spill folder where the journal cannot name it (it lies outside the lake)."""

    @property
    def catalog_inside(self) -> bool:
        """Whether the catalog lives inside the lake (then a moved lake carries it along)."""
        return False

    def duckdb_setup(self) -> list[str]:
        """Statements a DuckDB connection runs before it reads or writes this storage."""
        return []

    def duckdb_refresh(self) -> list[str]:
        """Statements that hand a DuckDB connection the current credentials (a writer's engine runs
        them again when they change: credentials of an hour can end mid-run)."""
        return []
