"""A DuckDB connection of the user's own (Lakehouse.connect): the lake's tables by name beside
their DataFrames and their own folders, and no SQL run on it can change the lake.

How, on DuckDB 1.5.5 (each checked by tests/test_connection.py):
- `allowed_paths` does not make a file read-only: `COPY ... TO '<listed file>' (USE_TMP_FILE
  false)` overwrites it, and ATTACH opens it. So no path of the lake is allowed at all. The
  tables' and landing files are read through `stedi-lake://`, a filesystem of ours (LakeFiles)
  that opens exactly the files these tables read, for reading, and refuses everything else
  (writing, listing, deleting, any other file: stedi.toml, the catalog, runs/).
- `enable_external_access = false` with `allowed_paths` those `stedi-lake://` files and
  `allowed_directories` the user's own folders (`allow`, never inside the lake nor holding it):
  every other path, URL, extension install or load, and persistent secret is refused, and
  DuckDB refuses to change these settings again. Other settings (threads, memory_limit) stay the
  user's: the configuration is not locked.
- The connection holds no credential: on S3 the lake is read with the storage's own client
  (pyarrow's, renewed as the storage renews it), never through a DuckDB secret.
DuckDB checks a path as written (`..` included), not through symlinks: a symlink the user made in
their own folder that points into the lake is theirs to not make.
"""

from __future__ import annotations

import errno
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from fsspec.spec import AbstractFileSystem

from stedi.engines.duckdb_engine import DuckDBEngine
from stedi.engines.duckdb_reader import register_parquet
from stedi.errors import StediError
from stedi.landing.sources import SOURCES
from stedi.query import stored_files
from stedi.storage.landing_file import LandingFile

if TYPE_CHECKING:
    import duckdb
    from pyiceberg.table import Table

    from stedi.lake import Lake
    from stedi.storage.base import Storage
    from stedi.time_travel import PointInTime

PROTOCOL = "stedi-lake"
READ_ONLY = "the lake is read-only from this connection"
STALE = ("was deleted by a later run, forget or maintain (they delete files no current snapshot needs); "
         "connect again: house.connect()")


class LakeFiles(AbstractFileSystem):
    """The lake's files a connection reads, read-only: `stedi-lake://<path>` is `<path>` in the
    storage's own filesystem (/abs/path on a disk, bucket/key in S3), for the listed files only."""

    protocol = PROTOCOL
    cachable = False  # one per connection, each with its own files

    def __init__(self, storage: "Storage", files: Iterable[str]):
        super().__init__()
        self._storage = storage
        self._files = frozenset(self.fs_path(f) for f in files)

    @staticmethod
    def fs_path(location: str) -> str:
        """A data file's path or s3:// URI as the storage's pyarrow filesystem names it."""
        return location.removeprefix("s3://")

    @staticmethod
    def url(location: str) -> str:
        return f"{PROTOCOL}://{LakeFiles.fs_path(location)}"

    def _readable(self, path: str) -> str:
        path = self._strip_protocol(path)
        if path not in self._files:
            raise PermissionError(errno.EACCES, f"{READ_ONLY}, and reads only its tables' files", path)
        return path

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if mode != "rb":
            raise PermissionError(errno.EACCES, READ_ONLY, path)
        path = self._readable(path)
        try:
            return self._storage.fs.open_input_file(path)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, STALE, path) from None

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        from pyarrow.fs import FileType

        path = self._readable(path)
        found = self._storage.fs.get_file_info(path)
        # A file deleted since is still said to be one: opening it then says what happened (told
        # it is missing, DuckDB would look for a folder of that name, and be refused).
        return {"name": path, "size": found.size if found.type == FileType.File else 0, "type": "file"}

    def modified(self, path: str) -> Any:
        from datetime import datetime, timezone

        return self._storage.fs.get_file_info(self.info(path)["name"]).mtime or datetime.now(timezone.utc)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        found = self.info(path)
        return [found] if detail else [found["name"]]

    def _refuse(self, path: Any = "", *args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, READ_ONLY, str(path))

    rm = _rm = rm_file = rmdir = mv = cp_file = put_file = pipe_file = touch = mkdir = makedirs = _refuse


def own_folders(lake: "Lake", allow: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]") -> list[str]:
    """The user's folders a connection may read and write: existing local folders, none inside the
    lake nor holding it (symlinks and `..` resolved). A str is one folder."""
    folders = [allow] if isinstance(allow, (str, os.PathLike)) else list(allow)
    lake_folder = None if lake.root.startswith("s3://") else Path(lake.root).resolve()
    found = []
    for folder in folders:
        if not isinstance(folder, (str, os.PathLike)) or str(folder).startswith("s3://"):
            raise StediError(f"allow names folders of your own on this machine, not {folder!r}")
        path = Path(folder).expanduser().resolve()
        if not path.is_dir():
            raise StediError(f"allow: {folder} is not a folder")
        if lake_folder is not None and (path == lake_folder or lake_folder in path.parents or path in lake_folder.parents):
            raise StediError(f"allow: {folder} {'holds' if path in lake_folder.parents else 'is inside'} the lake "
                             f"{lake.root}, which no connection writes; allow a folder beside it")
        found.append(str(path))
    return found


def user_connection(lake: "Lake", committed: dict[str, str], open_table: "Callable[[str], Table]",
                    as_of: "PointInTime | None" = None,
                    allow: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]" = ()) -> "duckdb.DuckDBPyConnection":
    """A new in-memory connection of the user's own: every stored table a view over its files
    (as of `as_of`, if given), the landing tables views over today's landing files (none with
    `as_of`), read through LakeFiles; `allow`: folders of the user's it may read and write.
    What it creates, drops or replaces stays in it."""
    folders = own_folders(lake, allow)
    tables = stored_files(committed, open_table, as_of, lake.storage)
    landing = {} if as_of is not None else {
        name: lake.landing_inputs(name, Path(tempfile.gettempdir())) for name in SOURCES}
    files = [path for paths, _ in tables.values() for path in paths] + [
        f.path for inputs in landing.values() for f in inputs]
    # Spills go to a folder of its own, which DuckDB makes when it first spills and removes on close.
    spill = Path(tempfile.gettempdir()) / f"stedi-connect-{uuid.uuid4().hex[:12]}"
    engine = DuckDBEngine(lake.config, temp_dir=spill)  # no storage setup: it holds no credential
    try:
        engine.con.register_filesystem(LakeFiles(lake.storage, files))
        engine.restrict([LakeFiles.url(f) for f in files], folders)
        for name, inputs in landing.items():
            engine.define_landing(SOURCES[name], [LandingFile(LakeFiles.url(f.path)) for f in inputs])
        for name, (paths, schema) in tables.items():
            register_parquet(engine.con, name, [LakeFiles.url(p) for p in paths], schema)
    except BaseException:
        engine.close()
        raise
    return engine.con
