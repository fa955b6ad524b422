"""Where a lake lives: a local folder or an S3 prefix, behind one interface (storage.base)."""

from __future__ import annotations

from pathlib import Path

from stedi.storage.base import FileEntry, Storage

__all__ = ["FileEntry", "Storage", "open_storage", "is_remote"]


def is_remote(location: str | Path) -> bool:
    return str(location).startswith("s3://")


def open_storage(location: str | Path) -> Storage:
    """The storage for a lake location: `s3://bucket/prefix` or a local path. The one place
    that tells the media apart."""
    text = str(location)
    if is_remote(text):
        from stedi.storage.s3 import S3Storage

        return S3Storage.parse(text)
    if "://" in text:
        from stedi.errors import InputError

        raise InputError(f"{text}: not a lake location (use a local folder or s3://bucket/prefix)")
    from stedi.storage.local import LocalStorage

    return LocalStorage(Path(text).expanduser().absolute())
