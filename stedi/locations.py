"""Locations as Iceberg records them (`file:///...`, `s3://...`) and as DuckDB and users read them."""

from __future__ import annotations


def local_path(location: str) -> str:
    """The path of a `file://` location (other locations, e.g. s3:// URIs, as they are)."""
    return location[len("file://") :] if location.startswith("file://") else location
