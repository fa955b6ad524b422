"""A local lake is its owner's alone, as PostgreSQL keeps its data folder: files 600, folders 700.

Every writer works under umask 077 (`owner_only`): whatever writes into the lake then (stedi,
DuckDB's Parquet and spill files, pyiceberg's metadata and manifests, SQLite's catalog and its
journal) creates files only the owner can read, whatever the user's umask; Spark's Hadoop file
system applies a umask setting of its own, which the Spark engine sets to 077. Files stedi
creates itself also get their mode at creation (0o600), not from the umask alone.

A lake made looser (by a version before this rule, by hand, by a copy) is made private by the
next writer (`make_private`), which says so. PostgreSQL refuses to start on a data folder with
loose modes instead; here the fix is certain and safe (only the owner's bits stay), and a refusal
would leave the data readable until someone acted on it.
"""

from __future__ import annotations

import os
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

FILE_MODE = 0o600
FOLDER_MODE = 0o700
OWNER_ONLY = 0o077  # the umask: no bit for the group or others

_lock = threading.Lock()
_writers = 0
_users_umask = 0


@contextmanager
def owner_only() -> Iterator[None]:
    """Umask 077 while the block runs. The umask belongs to the process: a thread of the caller
    that creates files meanwhile gets private ones (never looser ones). Blocks may nest or run in
    several threads; the user's umask is back once the last one ends."""
    global _writers, _users_umask
    with _lock:
        if _writers == 0:
            _users_umask = os.umask(OWNER_ONLY)
        _writers += 1
    try:
        yield
    finally:
        with _lock:
            _writers -= 1
            if _writers == 0:
                os.umask(_users_umask)


def made_before(root: Path) -> bool:
    """Whether the lake shows loose modes at its top (its folder, or anything directly in it):
    made before this rule, or loosened since. A writer walks the whole lake only then: that walk
    costs a stat per file (0.2 s for 20,000), and once the lake's folder is 700 nobody else can
    reach a file inside whatever its mode."""
    try:
        if os.stat(root).st_mode & OWNER_ONLY:
            return True
        with os.scandir(root) as entries:
            return any(not e.is_symlink() and e.stat(follow_symlinks=False).st_mode & OWNER_ONLY for e in entries)
    except FileNotFoundError:
        return False


def make_private(root: Path) -> tuple[int, int, list[str]]:
    """Take the group's and others' bits off every file and folder under `root` (itself
    included): 644 becomes 600, 755 becomes 700. Symlinks are left as they are (a chmod would
    change what they point at) and not followed. Returns the files and folders changed, and the
    paths that could not be changed (another user's)."""
    files = folders = 0
    if not made_before(root):
        return 0, 0, []
    refused: list[str] = []

    def tighten(path: str, st: os.stat_result) -> bool:
        if not st.st_mode & OWNER_ONLY:
            return False
        try:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~OWNER_ONLY)
        except FileNotFoundError:
            return False
        except PermissionError:
            refused.append(path)
            return False
        return True

    try:
        folders += tighten(str(root), os.stat(root))  # the root as the user named it, a symlink too
    except FileNotFoundError:
        return 0, 0, []
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            if stat.S_ISDIR(st.st_mode):
                folders += tighten(entry.path, st)
                pending.append(entry.path)
            else:
                files += tighten(entry.path, st)
    return files, folders, refused


def private_message(root: Path, files: int, folders: int, refused: list[str]) -> list[str]:
    """What a writer says after `make_private` (nothing when the lake was private already)."""
    said = []
    if files or folders:
        said.append(f"made the lake private: {files} file(s) and {folders} folder(s) that others could read are "
                    f"now {FILE_MODE:o} and {FOLDER_MODE:o} (owner only), as every file of a lake is from now on")
    if refused:
        more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
        said.append(f"{refused[0]}{more}: cannot be made private (another user's); others may read it")
    return said
