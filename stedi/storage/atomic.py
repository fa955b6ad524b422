"""Files a reader must see whole or not at all: write aside, flush to disk, rename over."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` so that a crash leaves the old file or the new, never half.
    `mode` is the file's from its creation on (0o600, a lake's: never readable by others)."""
    with replacing(path, mode) as fh:
        fh.write(text.encode("utf-8"))


@contextmanager
def replacing(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """A binary file to write that replaces `path` once the block ends without error: written
    aside, flushed to disk, renamed over (the old file or the new at every moment, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(path)
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut must not undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def partial_name(path: Path) -> Path:
    """Where a file is written before it is renamed to `path` (found by `remove_partials`)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")


def move(src: Path, dst: Path) -> None:
    """Rename `src` over `dst` (one atomic step on one file system), durably."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    sync_folder(dst.parent)
    if src.parent != dst.parent:
        sync_folder(src.parent)


def copy(src: Path, dst: Path) -> None:
    """Make `dst` hold the bytes of `src`, appearing whole: a hard link where the file system
    has them (no bytes copied, the same modification time), else a copy flushed to disk."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(dst)
    try:
        try:
            os.link(src, partial)
        except OSError:
            if not src.is_file():
                raise
            with src.open("rb") as fh, open(partial, "wb", opener=lambda p, f: os.open(p, f, 0o600)) as out:
                shutil.copyfileobj(fh, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            shutil.copystat(src, partial)
        os.replace(partial, dst)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sync_folder(dst.parent)


def remove_partials(folder: Path) -> list[Path]:
    """Delete the `.NAME.*.partial` files a killed writer left in `folder`; return them."""
    found = sorted(folder.glob(".*.partial")) if folder.is_dir() else []
    for path in found:
        path.unlink(missing_ok=True)
    return found
