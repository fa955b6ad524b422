"""Write newline-terminated lines into files of bounded lines and size, named as the real
deliveries name them: ``<source>-<epoch ms>.json``, the time the file was written."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from stedi.generate.jsonlines import offsets_and_data
from stedi.generate.report import KIND_CODES, MALFORMED_KINDS, VALID, SourceReport

TRUNCATED_AT_END = KIND_CODES["truncated_at_end"]


FIRST_FILE_MS = 1_691_348_231_425  # when the starter data's first file was written (2023-08-06)
YEAR_MS = 365 * 86_400_000
WRITE_MS = (20, 150)  # between one file and the next, as in the real delivery


class Clock:
    """The epoch milliseconds that name the files of one delivery, shared by its sources:
    every file a later name than the one before. The delivery is written at a moment drawn
    from the seed within the year after the starter data's."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.now = FIRST_FILE_MS + int(rng.integers(0, YEAR_MS))

    def tick(self) -> int:
        self.now += int(self.rng.integers(WRITE_MS[0], WRITE_MS[1], endpoint=True))
        return self.now


def part_path(directory: Path, source: str, epoch_ms: int) -> Path:
    """``<dir>/<source>-<epoch ms>.json``: 13 digits until the year 2286, so names sort in
    writing order."""
    return directory / f"{source}-{epoch_ms}.json"


class PartWriter:
    """Appends lines to ``<source>-<epoch ms>.json`` files in ``directory``.

    A file is closed after ``lines_per_file`` lines, or before a line that would take it over
    ``max_part_bytes`` (a longer line gets a file to itself); lines are never split across
    files. On closing, with probability ``truncated_file_end``, the file's last line is cut
    short and loses its newline: the truncated file end of a real delivery. Lines are bytes
    sliced from the Arrow buffer, so no Python code runs per line.
    """

    def __init__(
        self,
        directory: Path,
        source: str,
        max_part_bytes: int,
        truncated_file_end: float,
        rng: np.random.Generator,
        clock: Clock,
        lines_per_file: int,
    ) -> None:
        self.directory = directory
        self.source = source
        self.max_part_bytes = max_part_bytes
        self.truncated_file_end = truncated_file_end
        self.rng = rng
        self.clock = clock
        self.lines_per_file = lines_per_file
        self._lines = 0  # lines in the open file
        self.files: list[Path] = []
        self.counts = np.zeros(len(MALFORMED_KINDS) + 1, dtype=np.int64)  # by kind code
        self.bytes = 0
        self._file: BinaryIO | None = None
        self._size = 0  # bytes in the open part
        self._last_line = b""  # the open part's last line, for the file-end truncation
        self._last_kind = VALID

    def write(self, lines: pa.Array, codes: np.ndarray) -> None:
        """Append ``lines`` (each ending in a newline) whose kind codes are ``codes``."""
        offsets, data = offsets_and_data(lines)
        n = len(offsets) - 1
        if n != len(codes):
            raise ValueError(f"{n} lines but {len(codes)} kind codes")
        self.counts += np.bincount(codes, minlength=len(self.counts))
        pos = 0
        while pos < n:
            if self._file is None:
                self._open()
            room = self.max_part_bytes - self._size
            # The lines pos..end-1 fit in the room (bytes and lines) left in this file.
            end = int(np.searchsorted(offsets, offsets[pos] + room, side="right")) - 1
            end = min(end, pos + self.lines_per_file - self._lines)
            if end <= pos:
                if self._size > 0:
                    self._close()
                    continue
                end = pos + 1  # a line longer than a whole file
            assert self._file is not None
            self._file.write(data[offsets[pos] : offsets[end]])
            self._size += int(offsets[end] - offsets[pos])
            self._lines += end - pos
            self._last_line = bytes(data[offsets[end - 1] : offsets[end]])
            self._last_kind = int(codes[end - 1])
            pos = end
            if pos < n or self._lines == self.lines_per_file:
                self._close()  # the next line does not fit

    def finish(self) -> SourceReport:
        """Close the open part; the report of everything this writer wrote."""
        if self._file is not None:
            self._close()
        malformed = {kind: int(self.counts[code]) for code, kind in enumerate(MALFORMED_KINDS, start=1)}
        return SourceReport(
            source=self.source,
            lines=int(self.counts.sum()),
            malformed=malformed,
            files=tuple(self.files),
            bytes=self.bytes,
        )

    def _open(self) -> None:
        path = part_path(self.directory, self.source, self.clock.tick())
        self.files.append(path)
        self._file = path.open("wb")
        self._size = 0
        self._lines = 0

    def _close(self) -> None:
        assert self._file is not None
        content = len(self._last_line) - 1  # without its newline
        if self.rng.random() < self.truncated_file_end and content >= 2:
            keep = int(self.rng.integers(1, content))  # loses at least the closing brace
            self._file.truncate(self._size - len(self._last_line) + keep)
            self._size -= len(self._last_line) - keep
            self.counts[self._last_kind] -= 1  # the line changes kind
            self.counts[TRUNCATED_AT_END] += 1
        self._file.close()
        self._file = None
        self.bytes += self._size
