"""A file an engine reads: its name, and a local copy with its bytes, made on first use."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable


class LandingFile:
    """A landing file: `path` names it (a local path or an s3:// URI; quarantine rows name it so),
    and `local()` is a local file with its bytes, which the engine parses and the line checks
    read: the file itself on a disk, a copy fetched once on first use for a file in S3."""

    def __init__(self, path: str, fetch: Callable[[], Path] | None = None):
        self.path = path
        self._fetch = fetch or (lambda: Path(path))
        self._local: Path | None = None
        self._lock = threading.Lock()

    def local(self) -> Path:
        with self._lock:
            if self._local is None:
                self._local = self._fetch()
            return self._local

    def release(self) -> None:
        """Delete the local copy, if one was made (a run then needs local disk for one source
        at a time, not the whole landing zone)."""
        with self._lock:
            if self._local is not None and str(self._local) != self.path:
                self._local.unlink(missing_ok=True)
                self._local = None

    def __repr__(self) -> str:
        return f"LandingFile({self.path!r})"
