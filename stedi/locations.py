"""Locations as Iceberg writes them (`file:///...`) and as the local disk knows them."""

from __future__ import annotations

from pathlib import Path


def file_uri(path: Path) -> str:
    """A file URI as pyiceberg reads it back: not percent-encoded (`Path.as_uri()` turns a space
    into %20, and pyiceberg would then write into a folder literally named with %20)."""
    return "file://" + str(path)


def local_path(location: str) -> str:
    """The path of a `file://` location (other locations as they are)."""
    return location[len("file://") :] if location.startswith("file://") else location
