"""A lake in a local folder: files renamed into place after an fsync (atomic.py), an flock for
writers (lock.py), the pseudonym key in the lake's private stedi.toml (its Iceberg catalog, a
SQLite file inside it, is the store's: stedi/store/catalogs.py)."""

from __future__ import annotations

import functools
import os
import shutil
import stat
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, ContextManager, Iterator

from stedi.config import CONFIG_FILE
from stedi.errors import InputError
from stedi.storage.atomic import copy, move, remove_partials, replacing, write_atomic
from stedi.storage.base import Storage
from stedi.storage.entries import LINK_OUT, LINK_TO_NOTHING, NOT_REGULAR, FileEntry, Listing, Other
from stedi.storage.lock import WriterLock
from stedi.storage.modes import FILE_MODE, FOLDER_MODE

if TYPE_CHECKING:
    import pyarrow.fs

    from stedi.config import Config


class LocalStorage(Storage):
    def __init__(self, root: Path):
        self.folder = root
        self.root = str(root)

    @functools.cached_property
    def fs(self) -> "pyarrow.fs.FileSystem":  # type: ignore[override]
        from pyarrow.fs import LocalFileSystem

        return LocalFileSystem()

    # Small files through the OS, not pyarrow: a reader of state.json and table metadata need
    # not import pyarrow (0.15 s of a 0.3 s `stedi query`).
    def exists(self, relative: str) -> bool:
        return os.path.exists(self.local(relative))

    def is_file(self, relative: str) -> bool:
        return os.path.isfile(self.local(relative))

    def read_bytes(self, relative: str) -> bytes | None:
        try:
            with open(self.local(relative), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def _fs_path(self, relative: str) -> str:
        return self.path(relative)

    def uri(self, relative: str = "") -> str:
        # Not percent-encoded: pyiceberg reads file URIs back verbatim (a space as %20 would
        # make it write into a folder literally named with %20).
        return "file://" + self.path(relative)

    def local(self, relative: str = "") -> Path:
        return self.folder / relative if relative else self.folder

    def listing(self, relative: str) -> Listing:
        # The root is followed as the user named it; inside it, a symlink only where it points
        # inside the root (its real path, every link on the way resolved).
        real_root = os.path.realpath(self.folder)
        files, folders, others = [], [], []
        with os.scandir(self.local(relative)) as found:
            entries = sorted(found, key=lambda e: e.name)
        for entry in entries:
            inner = f"{relative}/{entry.name}" if relative else entry.name
            link_to = None
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not os.path.exists(target):
                    others.append(Other(inner, LINK_TO_NOTHING, target))
                    continue
                if not _inside(target, real_root):
                    others.append(Other(inner, LINK_OUT, target))
                    continue
                link_to = os.path.relpath(target, real_root).replace(os.sep, "/")
            st = os.stat(entry.path)
            if stat.S_ISDIR(st.st_mode):
                folders.append(inner)
            elif stat.S_ISREG(st.st_mode):
                files.append(FileEntry(inner, st.st_size, st.st_mtime_ns, link_to=link_to))
            else:
                others.append(Other(inner, NOT_REGULAR))
        return Listing(files, folders, others)

    def open_input(self, relative: str) -> BinaryIO:
        # Never a file outside the root through a symlink, even one swapped in after a listing:
        # the file opened is checked, not the path. Not blocking on a pipe either.
        path = self.local(relative)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            opened = _opened(fd, path)
            if not _inside(opened, os.path.realpath(self.folder)):
                raise InputError(f"{path}: a symlink to {opened}, outside {self.root}; not followed")
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InputError(f"{path}: {NOT_REGULAR}")
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def write_atomic(self, relative: str, text: str, private: bool = False) -> None:
        write_atomic(self.local(relative), text, mode=FILE_MODE)  # every file of a lake is private

    def delete_tree(self, relative: str) -> None:
        shutil.rmtree(self.local(relative), ignore_errors=True)

    def move(self, relative: str, target: str) -> None:
        move(self.local(relative), self.local(target))

    def copy(self, relative: str, target: str) -> None:
        copy(self.local(relative), self.local(target))

    def open_output(self, relative: str) -> "ContextManager[BinaryIO]":
        return replacing(self.local(relative))

    def remove_empty_folder(self, relative: str) -> None:
        try:
            self.local(relative).rmdir()  # refuses a folder that is not empty
        except OSError:
            pass

    def put(self, source: Storage, source_relative: str, relative: str) -> None:
        target = self.local(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with source.open_input(source_relative) as src, open(partial, "wb", opener=_private) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(partial, target)  # readers never see half a file
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def _stamped(self, relative: str, entries: list["FileEntry"]) -> list["FileEntry"]:
        # The change time, not the mtime: `os.utime`, `cp -p`, `rsync -t` and `tar x` set an
        # mtime back, and every write sets the change time to now (one stat a file, no bytes read).
        stamped = []
        for e in entries:
            try:
                stamped.append(replace(e, changed=str(os.stat(self.local(e.relative)).st_ctime_ns)))
            except FileNotFoundError:  # gone since it was listed: "" stands for unknown
                stamped.append(e)
        return stamped

    def make_folder(self, relative: str) -> None:
        # The lake's own folder is private from its creation; the folders above it are the user's.
        self.local(relative).mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)

    def lake_above(self) -> str | None:
        outer = lake_around(self.folder)  # asked where no lake is: one found is above, links resolved
        return str(outer) if outer is not None else None

    keeps_key_in_config = True

    def local_file(self, relative: str, scratch: Path) -> Path:
        return self.local(relative)

    def remove_partials(self, relative: str) -> None:
        remove_partials(self.local(relative))

    def writer_lock(self, command: str) -> Any:
        return WriterLock(self.folder, command)

    @contextmanager
    def owner_only(self, say: Callable[[str], None] | None = None) -> Iterator[None]:
        from stedi.storage.modes import make_private, owner_only, private_message

        with owner_only():
            for message in private_message(self.folder, *make_private(self.folder)):
                (say or (lambda m: None))(message)
            yield

    @property
    def catalog_inside(self) -> bool:
        return True

    def create_key(self, config: "Config") -> "Config":
        import secrets

        self.make_folder("")
        return replace(config, pseudonym_key=secrets.token_hex(32))

    def pseudonym_key(self, config: "Config") -> str:
        return config.pseudonym_key

    def spill_folder(self, run_id: str) -> tuple[Path, str | None]:
        # In the lake: its disk is the one sized for the data.
        relative = f".tmp/{run_id}"
        return self.local(relative), relative


def _private(path: str, flags: int) -> int:
    """An opener for open(): the file is its owner's alone from its creation."""
    return os.open(path, flags, FILE_MODE)


def lake_around(path: Path | str) -> Path | None:
    """The local lake a path lies in: the path itself or a folder above it that holds a
    stedi.toml, with symlinks and '..' resolved (a link into a lake is inside it); else None."""
    real = Path(os.path.realpath(Path(path).expanduser()))
    for folder in (real, *real.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _opened(fd: int, path: Path) -> str:
    """The real path of the file an open descriptor reads (Linux names it in /proc), else of `path`."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)
