"""What a storage lists: files (with what tells a rewrite), folders, and the rest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileEntry:
    relative: str  # to the storage's root, with '/'
    size: int
    mtime_ns: int
    # What any rewrite of the file changes, though its size and mtime may stay (listed with
    # `stamped`; "" otherwise): a local file's inode change time (set by the kernel on every
    # write, utime and rename, never set back by a user), an S3 object's ETag (its bytes' MD5).
    changed: str = ""
    link_to: str | None = None  # a symlink's: the root-relative file it names

    @property
    def name(self) -> str:
        return self.relative.rsplit("/", 1)[-1]


# What a folder holds that is neither a file nor a folder to go into (Listing.others).
NOT_REGULAR = "not a regular file"
LINK_TO_NOTHING = "symlink to nothing"
LINK_OUT = "symlink out of the delivery, not followed"


@dataclass(frozen=True)
class Other:
    relative: str
    why: str  # NOT_REGULAR, LINK_TO_NOTHING, LINK_OUT
    target: str = ""  # where a symlink points


@dataclass(frozen=True)
class Listing:
    """What is directly in a folder: files, folders (relative paths), and the rest."""
    files: list[FileEntry]
    folders: list[str]
    others: list[Other]
