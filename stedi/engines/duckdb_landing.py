"""Landing files into typed rows with DuckDB: every line accepted, or quarantined with a reason.

The fast path is DuckDB's JSON reader over all of a source's files at once (duckdb_parse),
one row per non-blank line in file order. Around it, so that no input stops a run:
- A file the reader cannot get through (a record pretty-printed over several lines, a line
  over its size limit) fails the whole query. It is left out and read exactly instead: line
  by line by the validator, its accepted lines typed by DuckDB from a clean file of just them.
- Rejected rows are numbered and explained (landing/locate).
- Where the reader is more lenient than JSON (trailing commas, a key given twice), byte
  counts per file find the few lines to ask the validator about (landing/strict_json).
- After a line cut short the reader can lose the next line; such a line is typed again.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from stedi.engines import duckdb_parse as parse
from stedi.engines.base import LandingLoad
from stedi.engines.duckdb_reader import ident
from stedi.errors import InputError
from stedi.landing.locate import decode, lines_at, read_exactly
from stedi.landing.quarantine import Rejected
from stedi.landing.sources import Source
from stedi.landing.strict_json import byte_counts, counts_in, suspects
from stedi.landing.validate import rejection_reason
from stedi.storage.landing_file import LandingFile


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(3) == b"\xef\xbb\xbf"


@dataclass
class _File:
    """One file of the bulk read: its rows are row ids first .. first + rows - 1."""

    file: LandingFile
    first: int
    rows: int
    ok: int
    keys: int  # declared fields present and not null, over the accepted rows
    bad: list[int] = field(default_factory=list)  # positions of rejected rows
    rejected: list[Rejected] = field(default_factory=list)
    in_rejected: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int64))  # strict_json.counts_in
    flipped: list[int] = field(default_factory=list)  # row ids the reader accepted, the validator not
    exact: bool = False  # positions lie: read this file exactly instead


class LandingReader:
    def __init__(self, con: duckdb.DuckDBPyConnection, temp_dir: Path | None, threads: int):
        self.con, self.temp_dir, self.threads = con, temp_dir, threads

    def load(self, source: Source, files: list[LandingFile], parsed: str) -> LandingLoad:
        """Fill table `parsed` (file_index, ok, columns) with the typed lines of `files`."""
        try:
            return self._load(source, files, parsed)
        finally:
            for f in files:
                f.release()

    def _load(self, source: Source, files: list[LandingFile], parsed: str) -> LandingLoad:
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            # DuckDB parses local bytes: a file in S3 is streamed once into the spill folder (files
            # side by side), and that copy also serves the byte counts and line numbers. Reading
            # it from S3 with httpfs as well moved every byte twice (docs/benchmarks.md, issue 8).
            list(pool.map(LandingFile.local, files))
            # Bytes are counted while DuckDB reads: numpy and DuckDB both let go of the interpreter.
            counted = {f.path: pool.submit(lambda f: byte_counts(f.local()), f) for f in files}
            # DuckDB's reader skips a byte order mark at the start of a file (read along with
            # others, not alone); JSON has none, and the validator rejects that line: read exactly.
            marked = [f for f in files if _starts_with_bom(f.local())]
            bulk, exact = self._read_bulk(source, [f for f in files if f not in marked], parsed)
            exact += marked
            found = self._files(source, parsed, bulk)
            self._number(source, found, pool)
            self._check_strict(source, parsed, found, counted, pool)
        for f in found:
            if f.exact:
                self.con.execute(f"DELETE FROM {parsed} WHERE rowid BETWEEN {f.first} AND {f.first + f.rows - 1}")
                exact.append(f.file)
        kept = [f for f in found if not f.exact]
        flipped = [row for f in kept for row in f.flipped]
        if flipped:
            self.con.execute(f"UPDATE {parsed} SET ok = false WHERE rowid IN ({', '.join(map(str, flipped))})")
        read, accepted = sum(f.rows for f in kept), sum(f.ok for f in kept) - len(flipped)
        rejected = [r for f in kept for r in f.rejected]
        # The validator finds these sound: the reader likely lost them after a line cut short.
        doubtful = [r for r in rejected if r.reason is None]
        if doubtful:
            refused = set(self._type_lines(source, parsed, [r.raw.encode("utf-8") for r in doubtful]))
            rejected = [r for r in rejected if r.reason is not None] + [r for i, r in enumerate(doubtful) if i in refused]
            accepted += len(doubtful) - len(refused)
        for file in exact:
            lines, ok, refused = self._read_exactly(source, parsed, file)
            read, accepted, rejected = read + lines, accepted + ok, rejected + refused
        return LandingLoad(source.name, read, accepted, rejected)

    def _read_bulk(self, source: Source, files: list[LandingFile],
                   parsed: str) -> tuple[list[LandingFile], list[LandingFile]]:
        """Type the files in one read; a file that fails the read is left for reading exactly.
        Returns the files read and the files left out."""
        bulk, exact = list(files), []
        while bulk:
            try:
                self.create_in_order(parsed, self._typed(source, [str(f.local()) for f in bulk]))
                return bulk, exact
            except (duckdb.InvalidInputException, duckdb.IOException) as e:
                named = [f for f in bulk if f'"{f.local()}"' in str(e)] or self._failing(source, bulk)
                if not named:
                    raise InputError(f"cannot read {source.name} landing files: {e}") from None
            bulk = [f for f in bulk if f not in named]
            exact += named
        empty = ", ".join(f"NULL::{f.type.sql_type} AS {ident(f.column)}" for f in source.fields)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {parsed} AS "
                         f"SELECT NULL::UBIGINT AS file_index, NULL::BOOLEAN AS ok, {empty} WHERE false")
        return bulk, exact

    def _failing(self, source: Source, files: list[LandingFile]) -> list[LandingFile]:
        """The files that fail a read on their own (when the error did not name one)."""
        failing = []
        for f in files:
            try:
                self.con.execute(f"SELECT count_if(ok) FROM ({self._typed(source, [str(f.local())])})").fetchall()
            except (duckdb.InvalidInputException, duckdb.IOException):
                failing.append(f)
        return failing

    def _files(self, source: Source, parsed: str, bulk: list[LandingFile]) -> list[_File]:
        optional = [f for f in source.fields if not f.required]
        # Per accepted row, declared fields present: a typed value is there exactly where its token is.
        present = " + ".join([str(len(source.fields) - len(optional))] +
                             [f"({ident(f.column)} IS NOT NULL)::INTEGER" for f in optional])
        found = {
            index: _File(bulk[index], first, rows, ok, int(keys or 0))
            for index, first, rows, ok, keys in self.con.execute(
                f"SELECT file_index, min(rowid), count(*), count_if(ok), sum({present}) FILTER (WHERE ok) "
                f"FROM {parsed} GROUP BY file_index ORDER BY file_index").fetchall()
        }
        for index, row in self.con.execute(f"SELECT file_index, rowid FROM {parsed} WHERE NOT ok ORDER BY rowid").fetchall():
            found[index].bad.append(row - found[index].first)
        return list(found.values())

    def _number(self, source: Source, found: list[_File], pool: ThreadPoolExecutor) -> None:
        """Line number, text and reason of each rejected row. Files side by side in threads."""
        numbering = {id(f): pool.submit(lambda f: lines_at(f.file.local(), f.bad, f.rows), f) for f in found if f.bad}
        for f in found:
            located = numbering[id(f)].result() if f.bad else []
            if located is None:
                # The reader saw another number of lines than are here: numbers by position would lie.
                f.exact = True
                continue
            for line, data in located:
                f.in_rejected += counts_in(data)
                raw, reason = decode(data)
                f.rejected.append(Rejected(f.file.path, raw, line, reason or rejection_reason(source, raw)))

    def _check_strict(self, source: Source, parsed: str, found: list[_File],
                      counted: dict[str, Future], pool: ThreadPoolExecutor) -> None:
        """Flip accepted lines that JSON forbids (see landing/strict_json)."""
        passes = {}
        for f in found:
            if f.exact:
                continue
            need = np.array([f.keys, f.keys - f.ok, 0, f.ok]) + f.in_rejected  # one '{' an accepted line
            if not np.array_equal(counted[f.file.path].result(), need):
                keys, nulls = self._keys_per_line(source, parsed, f)
                passes[id(f)] = pool.submit(lambda f, k, n: suspects(f.file.local(), k, n), f, keys, nulls)
        for f in found:
            if id(f) not in passes:
                continue
            lines = passes[id(f)].result()
            if lines is None:
                f.exact = True
                continue
            for position, line, data in lines:
                raw, reason = decode(data)
                reason = reason or rejection_reason(source, raw)
                if reason:
                    f.flipped.append(f.first + position)
                    f.rejected.append(Rejected(f.file.path, raw, line, reason))

    def _keys_per_line(self, source: Source, parsed: str, f: _File) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per position, the keys its accepted row has (-1: a rejected row), and per optional
        key where the row has no value for it (strict_json.suspects)."""
        optional = [field for field in source.fields if not field.required]
        if not optional:
            keys = np.full(f.rows, len(source.fields), dtype=np.int16)
            nulls: dict[str, np.ndarray] = {}
        else:
            present = " + ".join(f"({ident(field.column)} IS NOT NULL)::SMALLINT" for field in source.fields)
            absent = ", ".join(f"{ident(field.column)} IS NULL AS {ident(field.key)}" for field in optional)
            rows = self.con.execute(
                f"SELECT {present} AS keys, {absent} FROM {parsed} "
                f"WHERE rowid BETWEEN {f.first} AND {f.first + f.rows - 1} ORDER BY rowid").fetchnumpy()
            keys = rows["keys"].astype(np.int16)
            nulls = {field.key: np.asarray(rows[field.key], dtype=bool) for field in optional}
        keys[np.asarray(f.bad, dtype=np.int64)] = -1
        return keys, nulls

    def _read_exactly(self, source: Source, parsed: str, file: LandingFile) -> tuple[int, int, list[Rejected]]:
        """Lines read, accepted, and rejected, by the validator line by line; DuckDB types the
        accepted lines from a clean file of just them."""
        with tempfile.NamedTemporaryFile("wb", suffix=".json", dir=self.temp_dir, delete=False) as fh:
            try:
                read, found, numbers, longest = read_exactly(source, file.local(), fh)
            except OSError as e:
                Path(fh.name).unlink()
                raise InputError(f"{file.path}: cannot read: {e.strerror}") from None
        rejected = [Rejected(file.path, raw, line, reason) for line, raw, reason in found]
        refused = self._type_file(source, parsed, fh.name, len(numbers), longest)
        if refused:  # the validator accepts what DuckDB does not: quarantined, explained as out of range
            with Path(fh.name).open("rb") as lines:
                wanted = set(refused)
                texts = [raw for i, raw in enumerate(lines) if i in wanted]
            rejected += [Rejected(file.path, decode(t.rstrip(b"\n"))[0], numbers[i]) for i, t in zip(refused, texts)]
        Path(fh.name).unlink()
        return read, len(numbers) - len(refused), rejected

    def _type_lines(self, source: Source, parsed: str, lines: list[bytes]) -> list[int]:
        """Type these lines through DuckDB, each on its own line; add the accepted rows to
        `parsed`; return the indices of the others."""
        with tempfile.NamedTemporaryFile("wb", suffix=".json", dir=self.temp_dir, delete=False) as fh:
            fh.writelines(line + b"\n" for line in lines)
        try:
            return self._type_file(source, parsed, fh.name, len(lines), max(map(len, lines), default=0))
        finally:
            Path(fh.name).unlink()

    def _type_file(self, source: Source, parsed: str, path: str, lines: int, longest: int) -> list[int]:
        if not lines:
            return []
        # Past DuckDB's default limit on a line's size, the limit is raised for this read only.
        self.create_in_order("_typed", self._typed(source, [path], longest if longest > 1 << 23 else 0))
        try:  # a row id is the index into the file's lines
            self.con.execute(f"INSERT INTO {parsed} SELECT * FROM _typed WHERE ok")
            return [row for (row,) in self.con.execute("SELECT rowid FROM _typed WHERE NOT ok ORDER BY rowid").fetchall()]
        finally:
            self.con.execute("DROP TABLE _typed")

    @staticmethod
    def _typed(source: Source, files: list[str], longest_line: int = 0) -> str:
        return parse.render(parse.typed_sql(source, parse.tokens_sql(source, files, longest_line)))

    def create_in_order(self, table: str, sql: str) -> None:
        """A temp table whose row ids follow the order `sql` reads its files in."""
        try:
            self.con.execute("SET preserve_insertion_order = true")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {sql}")
        finally:
            # Elsewhere order is not needed, and keeping it slows joins and writes.
            self.con.execute("SET preserve_insertion_order = false")
