"""Proof of erasure: find a person's values (needles) anywhere in a lake, decoded as a reader decodes it.

After `stedi forget EMAIL` a test scans every file of the lake (every object, every version, of an S3
lake's bucket) for the person's email, name, phone and serial number and asserts no hit, while another
customer's values are still found (which shows the scan looks where the data is). A raw byte search is
not enough: Parquet pages and Avro blocks are compressed, JSON escapes characters, Iceberg truncates
bounds. So each file is decoded by its content (magic bytes), not by its name:

- every file and every decoded layer: the raw bytes, for the needle as UTF-8, JSON-escaped (`\\/`,
  `\\uXXXX`), UTF-16 (LE/BE) and, for a needle that is a UUID, its 16 bytes;
- gzip, zstd, bzip2, xz, lz4 frame, snappy framing, zlib, zip: decompressed, then decoded again;
- Parquet: per row group, every value of every column (nested, dictionary-encoded, binary; other types
  as their string form), each column chunk's statistics min/max (logical and raw), the key-value and
  field metadata;
- Avro container files (Iceberg manifests and manifest lists): the header metadata; each block
  decompressed (null, deflate, snappy, zstandard, bzip2, xz) and searched as bytes, which holds every
  string and bytes value of its records (bounds of string columns are UTF-8); and every record decoded
  with the writer's schema, so a hit names its field (`data_file.lower_bounds[1].value`);
- JSON documents (Iceberg metadata) and JSON lines (landing, quarantine): every key and value as
  parsed (escapes resolved), numbers as text; lines that do not parse are covered by the raw search;
- TOML (a name ending .toml): every key and value as parsed;
- SQLite databases: the schema and every value of every table, read from a private in-memory copy
  (`deserialize`: the lake's file is never opened by SQLite, so no journal or -shm file appears and
  an S3 object needs no temporary file), plus the raw bytes, which keep deleted rows in free pages.

Iceberg truncates string bounds in manifests (16 characters by default; an upper bound gets its last
character incremented), so an email longer than that is in a manifest only as a prefix. A decoded
Avro value or Parquet statistic that is such a truncation of a needle, at least `min_prefix`
characters long, is a hit too ("truncated bound").

A file whose magic bytes say what it is but that cannot be decoded (a cut-short Parquet file, an
encrypted footer, a corrupt gzip), and an S3 multipart upload never completed (its parts hold data no
API reads back), is a hit with needle UNDECODABLE: what cannot be read cannot be proved clean.

Not covered: values kept only as hashes (Parquet bloom filters, Puffin sketches); values in formats
other than the above beyond their raw bytes (DuckDB database or spill files, SQLite WAL frames where
a value spans pages); needles spelled differently from how they are given: matching is exact and
case-sensitive, so pass every spelling a test needs (a phone with and without dashes).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import sqlite3
import stat
import struct
import tomllib
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator, NamedTuple

UNDECODABLE = "<undecodable>"
MIN_PREFIX = 8  # shortest truncated bound reported: shorter prefixes identify nobody
MAX_DEPTH = 4  # nested decodings (zip > gzip > json ...)


class Hit(NamedTuple):
    file: str  # path relative to the scanned folder, or the object's key (and version)
    where: str  # the decodings and the place, e.g. "gzip > json $.properties.owner at line 1"
    needle: str


def scan_folder(root: Path, needles: list[str], *, min_prefix: int = MIN_PREFIX) -> list[Hit]:
    """Every hit of `needles` in every file under `root` (hidden ones too, symlinks followed once)."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"nothing to scan at {root}")  # no silent, vacuous pass
    scan = _Scan(needles, min_prefix)
    hits: list[Hit] = []
    if root.is_file():
        return sorted(scan.file(root.name, root.read_bytes()))
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop, or a folder reached twice
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if stat.S_ISREG(path.stat().st_mode):  # not a FIFO or socket: nothing at rest there
                hits += scan.file(path.relative_to(root).as_posix(), path.read_bytes())
    return sorted(hits)


def scan_bucket(s3_client: Any, bucket: str, prefix: str, needles: list[str], *,
                min_prefix: int = MIN_PREFIX) -> list[Hit]:
    """Every hit in every object under `prefix` ("" = the whole bucket): every version of a
    versioned bucket (a noncurrent version is still stored), and every incomplete multipart upload."""
    scan = _Scan(needles, min_prefix)
    hits: list[Hit] = []
    versioning = s3_client.get_bucket_versioning(Bucket=bucket).get("Status")
    if versioning in ("Enabled", "Suspended"):
        for page in s3_client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                key, version_id = version["Key"], version["VersionId"]
                label = key if version["IsLatest"] else f"{key} (noncurrent version {version_id})"
                body = s3_client.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
                hits += scan.file(label, body)
    else:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3_client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                hits += scan.file(item["Key"], body)
    for page in s3_client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in page.get("Uploads", []):
            hits.append(Hit(f"{upload['Key']} (multipart upload {upload['UploadId']})",
                            "incomplete multipart upload: its parts cannot be read back", UNDECODABLE))
    return sorted(hits)


def format_hits(hits: list[Hit]) -> str:
    return "\n".join(f"  {h.needle!r} in {h.file}: {h.where}" for h in hits)


def assert_no_hits(hits: list[Hit], what: str = "the lake") -> None:
    """Fail listing every hit, one a line: the file, the decoding and place, the needle."""
    if hits:
        raise AssertionError(f"{len(hits)} hit(s) of erased values in {what}:\n{format_hits(hits)}")


# -- needles -------------------------------------------------------------------------------------

class _Needle:
    """A needle and the byte forms a raw search looks for."""

    def __init__(self, text: str) -> None:
        if not text:
            raise ValueError("an empty needle would match everything")
        self.text = text
        self.utf8 = text.encode("utf-8")
        self.binary = [self.utf8]
        try:
            if len(text) >= 32:
                self.binary.append(uuid.UUID(text).bytes)  # a UUID column stored as fixed[16]
        except ValueError:
            pass
        escaped = [json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]]
        candidates = [("", self.utf8)]
        candidates += [(" (json-escaped)", e.encode()) for e in escaped + [e.replace("/", "\\/") for e in escaped]]
        candidates += [(" (utf-16-le)", text.encode("utf-16-le")), (" (utf-16-be)", text.encode("utf-16-be"))]
        candidates += [(" (uuid bytes)", b) for b in self.binary[1:]]
        self.raw: list[tuple[str, bytes]] = []
        for label, form in candidates:
            if all(form != f for _, f in self.raw):
                self.raw.append((label, form))

    def truncation(self, value: str | bytes, min_prefix: int) -> str | None:
        """'lower'/'upper' when `value` is how Iceberg truncates this needle as a bound."""
        needle = self.text if isinstance(value, str) else self.utf8
        n = len(value)
        if n < min_prefix or n >= len(needle):
            return None
        if needle.startswith(value):
            return "lower"
        last = value[-1] if isinstance(value, bytes) else ord(value[-1])
        want = needle[n - 1] if isinstance(needle, bytes) else ord(needle[n - 1])
        if needle[:n - 1] == value[:-1] and last == want + 1:
            return "upper"
        return None


# -- the scan of one file ------------------------------------------------------------------------

class _Scan:
    """Decodes one file's bytes layer by layer; hits are grouped by (where, needle), each with the
    first place and how many more, so a landing file with 1000 lines of one user is one hit."""

    def __init__(self, needles: list[str], min_prefix: int) -> None:
        self.needles = [_Needle(n) for n in dict.fromkeys(needles)]
        self.min_prefix = min_prefix
        self.groups: dict[tuple[str, str], list[Any]] = {}

    def file(self, label: str, data: bytes) -> list[Hit]:
        self.groups = {}
        self.decode(data, label, "", 0)
        return [Hit(label, kind + (f" at {place}" if place is not None else "") + (f" (+{n - 1} more)" if n > 1 else ""),
                    needle) for (kind, needle), (place, n) in self.groups.items()]

    def add(self, kind: str, place: Any, needle: str, count: int = 1) -> None:
        group = self.groups.setdefault((kind, needle), [place, 0])
        group[1] += count

    def undecodable(self, kind: str, error: Exception) -> None:
        self.add(f"{kind}: cannot decode ({type(error).__name__}: {error})", None, UNDECODABLE)

    def raw(self, data: bytes, kind: str) -> None:
        for needle in self.needles:
            for label, form in needle.raw:
                count = data.count(form)
                if count:
                    self.add(f"{kind}raw bytes{label}", f"offset {data.find(form)}", needle.text, count)

    def value(self, value: Any, kind: str, place: Any, truncations: bool = False) -> None:
        """One decoded value of any type: str, bytes, or anything else as its string form."""
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value)
            for needle in self.needles:
                if any(form in value for form in needle.binary):
                    self.add(kind, place, needle.text)
        else:
            text = isinstance(value, str)
            value = value if text else str(value)
            for needle in self.needles:
                if needle.text in value:
                    self.add(kind, place, needle.text)
            truncations = truncations and text  # a bound is a string or bytes; a number is no prefix
        if truncations:
            for needle in self.needles:
                bound = needle.truncation(value, self.min_prefix)
                if bound:
                    self.add(f"{kind} (truncated {bound} bound, {len(value)} of {len(needle.text)})", place, needle.text)

    def walk(self, obj: Any, path: str, kind: str, place: Any, truncations: bool = False) -> None:
        """Every key and value of parsed JSON, TOML or a decoded Avro record."""
        if isinstance(obj, dict):
            for key, item in obj.items():
                self.value(key, f"{kind} {path}.{key} (key)", place)
                self.walk(item, f"{path}.{key}", kind, place, truncations)
        elif isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                self.walk(item, f"{path}[{i}]", kind, place, truncations)
        else:
            self.value(obj, f"{kind} {path}", place, truncations)

    def decode(self, data: bytes, name: str, layers: str, depth: int) -> None:
        self.raw(data, layers)
        if depth > MAX_DEPTH:
            return
        for magic, label, unpack in _COMPRESSED:
            if data.startswith(magic):
                try:
                    inner = unpack(data)
                except Exception as e:  # noqa: BLE001 - any failure means: not proved clean
                    self.undecodable(f"{layers}{label}", e)
                    return
                return self.decode(inner, name.removesuffix(".gz"), f"{layers}{label} > ", depth + 1)
        if len(data) > 2 and data[0] == 0x78 and (data[0] << 8 | data[1]) % 31 == 0:  # a zlib stream, maybe
            try:
                inner = zlib.decompress(data)
            except zlib.error:
                pass  # a weak sniff: not a zlib stream after all
            else:
                return self.decode(inner, name, f"{layers}zlib > ", depth + 1)
        if data.startswith(b"PK\x03\x04"):
            self.zip(data, layers, depth)
        elif data.startswith((b"PAR1", b"PARE")):
            self.parquet(data, layers)
        elif data.startswith(b"Obj\x01"):
            self.avro(data, layers)
        elif data.startswith(b"SQLite format 3\x00"):
            self.sqlite(data, layers)
        else:
            self.text(data, name, layers)

    def zip(self, data: bytes, layers: str, depth: int) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    kind = f"{layers}zip {info.filename}"
                    try:
                        member = archive.read(info)
                    except Exception as e:  # noqa: BLE001
                        self.undecodable(kind, e)
                        continue
                    self.decode(member, info.filename, f"{kind} > ", depth + 1)
        except zipfile.BadZipFile as e:
            self.undecodable(f"{layers}zip", e)

    def text(self, data: bytes, name: str, layers: str) -> None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError:
                return
            layers += "utf-16 > "
            self.value(text, f"{layers}text", None)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                return  # binary of a kind not known here: the raw search is all there is
        if name.endswith(".toml"):
            try:
                self.walk(tomllib.loads(text), "$", f"{layers}toml", None)
                return
            except tomllib.TOMLDecodeError:
                pass
        if text.lstrip().startswith(("{", "[")):
            try:
                return self.walk(json.loads(text), "$", f"{layers}json", None)
            except (ValueError, RecursionError):  # nested too deep to decode: the raw search covers it
                pass
        for number, line in enumerate(text.splitlines(), 1):  # JSON lines
            if line.lstrip().startswith(("{", "[")):
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    continue  # a malformed or too deep line: the raw search covers it
                self.walk(record, "$", f"{layers}json", f"line {number}")

    def parquet(self, data: bytes, layers: str) -> None:
        import pyarrow.parquet as pq

        kind = f"{layers}parquet"
        try:
            pf = pq.ParquetFile(io.BytesIO(data))
            meta, schema = pf.metadata, pf.schema_arrow
        except Exception as e:  # noqa: BLE001
            self.undecodable(kind, e)
            return
        for key, value in (meta.metadata or {}).items():
            self.value(key, f"{kind} key-value metadata (key)", None)
            self.value(value, f"{kind} key-value metadata {key.decode(errors='replace')!r}", None)
        for field in _fields(schema):
            self.value(field.name, f"{kind} schema field name", None)
            for key, value in (field.metadata or {}).items():
                self.value(key + b"=" + value, f"{kind} field {field.name!r} metadata", None)
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            for j in range(group.num_columns):
                chunk = group.column(j)
                stats = chunk.statistics
                if stats is None or not stats.has_min_max:
                    continue
                where = f"{kind} row group {i} column {chunk.path_in_schema} statistics"
                for label in ("min", "max"):
                    raw = getattr(stats, f"{label}_raw")
                    try:
                        logical = getattr(stats, label)
                    except Exception:  # noqa: BLE001 - a logical type pyarrow cannot convert
                        logical = raw
                    self.value(logical, f"{where} {label}", None, truncations=True)
                    if raw != logical and not (isinstance(logical, str) and raw == logical.encode()):
                        self.value(raw, f"{where} {label} (raw)", None, truncations=True)
            try:
                table = pf.read_row_group(i)
            except Exception as e:  # noqa: BLE001
                self.undecodable(f"{kind} row group {i}", e)
                continue
            for name, column in zip(table.column_names, table.columns):
                offset = 0
                for array in column.chunks:
                    self.arrow(array, f"{kind} row group {i} column {name}", None, offset)
                    offset += len(array)

    def arrow(self, array: Any, kind: str, rows: Any, offset: int) -> None:
        """Every value of an Arrow array; `rows` maps each element to its row (None: it is a row)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        kind_of = array.type
        if isinstance(kind_of, pa.ExtensionType):
            return self.arrow(array.storage, kind, rows, offset)
        if pa.types.is_struct(kind_of):
            for field, child in zip(kind_of, array.flatten()):
                self.arrow(child, f"{kind}.{field.name}", rows, offset)
            return
        if pa.types.is_map(kind_of):
            array = pa.ListArray.from_arrays(array.offsets, array.values)
            kind_of = array.type
        if pa.types.is_list(kind_of) or pa.types.is_large_list(kind_of) or pa.types.is_fixed_size_list(kind_of):
            parents = pc.list_parent_indices(array)
            self.arrow(pc.list_flatten(array), f"{kind}[]", parents if rows is None else rows.take(parents), offset)
            return
        if pa.types.is_dictionary(kind_of):
            for needle in self.needles:
                entries = pc.indices_nonzero(self.matches(array.dictionary, needle))
                if len(entries):
                    used = pc.indices_nonzero(pc.is_in(array.indices, value_set=entries.cast(array.indices.type)))
                    if len(used):
                        self.report(used, f"{kind} (dictionary-encoded)", rows, offset, needle)
                    else:
                        self.add(f"{kind} dictionary (an entry no row uses)", f"entry {entries[0].as_py()}", needle.text)
            return
        for needle in self.needles:
            found = pc.indices_nonzero(self.matches(array, needle))
            if len(found):
                self.report(found, kind, rows, offset, needle)

    def report(self, found: Any, kind: str, rows: Any, offset: int, needle: _Needle) -> None:
        at = (found if rows is None else rows.take(found)).to_pylist()
        self.add(kind, f"row {offset + at[0]}", needle.text, len(set(at)))

    @staticmethod
    def matches(array: Any, needle: _Needle) -> Any:
        """A boolean array: which values hold the needle (binary values: any of its byte forms)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        t = array.type
        if pa.types.is_null(t):
            return pa.array([False] * len(array))
        if pa.types.is_fixed_size_binary(t):
            array, t = array.cast(pa.binary()), pa.binary()
        if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            masks = [pc.match_substring(array, form) for form in needle.binary]
            mask = masks[0] if len(masks) == 1 else pc.or_(*masks)
            return mask.fill_null(False)
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)):
            try:
                array = array.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a type Arrow cannot print: Python can
                array = pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())
        return pc.match_substring(array, needle.text).fill_null(False)

    def avro(self, data: bytes, layers: str) -> None:
        kind = f"{layers}avro"
        try:
            header, blocks = _avro_container(data)
            schema = json.loads(header["avro.schema"])
            codec = header.get("avro.codec", b"null").decode()
            unpack = _AVRO_CODECS[codec]
        except Exception as e:  # noqa: BLE001
            self.undecodable(kind, e)
            return
        for key, value in header.items():
            self.value(value, f"{kind} header {key}", None)
        names = _avro_names(schema, "", {})
        record = 0
        for b, (count, block) in enumerate(blocks):
            try:
                block = unpack(block)
            except Exception as e:  # noqa: BLE001
                self.undecodable(f"{kind} block {b} ({codec})", e)
                continue
            self.raw(block, f"{kind} block {b} ({codec}) decompressed: ")
            reader = _AvroReader(block, names)
            try:
                for _ in range(count):
                    self.walk(reader.read(schema), "$", f"{kind} record", f"record {record}", truncations=True)
                    record += 1
            except Exception as e:  # noqa: BLE001
                self.undecodable(f"{kind} block {b} records", e)

    def sqlite(self, data: bytes, layers: str) -> None:
        kind = f"{layers}sqlite"
        image = bytearray(data)
        if image[18:20] == b"\x02\x02":  # WAL mode: an in-memory copy must use the rollback journal
            image[18:20] = b"\x01\x01"
        connection = sqlite3.connect(":memory:")
        try:
            connection.deserialize(bytes(image))
            objects = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        except sqlite3.Error as e:
            self.undecodable(kind, e)
            connection.close()
            return
        try:
            for type_, name, sql in objects:
                self.value(sql, f"{kind} schema {name}", None)
                if type_ != "table":
                    continue
                quoted = '"' + name.replace('"', '""') + '"'
                try:
                    cursor = connection.execute(f"SELECT * FROM {quoted}")
                    columns = [d[0] for d in cursor.description]
                    for number, row in enumerate(cursor, 1):
                        for column, value in zip(columns, row):
                            self.value(value, f"{kind} table {name} column {column}", f"row {number}")
                except sqlite3.Error as e:
                    if not (sql or "").upper().startswith("CREATE VIRTUAL"):  # its shadow tables hold the data
                        self.undecodable(f"{kind} table {name}", e)
        finally:
            connection.close()


def _fields(schema: Any) -> Iterator[Any]:
    """Every field of an Arrow schema, nested ones too."""
    stack = list(schema)
    while stack:
        field = stack.pop()
        yield field
        stack += [field.type.field(i) for i in range(getattr(field.type, "num_fields", 0))]


# -- compression -----------------------------------------------------------------------------------

def _arrow_stream(codec: str):
    def unpack(data: bytes) -> bytes:
        import pyarrow as pa

        return pa.input_stream(io.BytesIO(data), compression=codec).read()
    return unpack


def _snappy(data: bytes) -> bytes:
    """Raw snappy (a varint length, then the compressed bytes)."""
    import pyarrow as pa

    size, shift, pos = 0, 0, 0
    while True:
        byte = data[pos]
        pos += 1
        size |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    return pa.Codec("snappy").decompress(data, decompressed_size=size, asbytes=True)


def _snappy_framed(data: bytes) -> bytes:
    """The snappy framing format (chunks of a type byte, a 3-byte length, a CRC and the data)."""
    out, pos = bytearray(), 0
    while pos < len(data):
        kind, length = data[pos], int.from_bytes(data[pos + 1:pos + 4], "little")
        chunk = data[pos + 4:pos + 4 + length]
        if len(chunk) != length:
            raise ValueError("snappy frame cut short")
        if kind == 0x00:
            out += _snappy(chunk[4:])
        elif kind == 0x01:
            out += chunk[4:]
        elif kind < 0x80:
            raise ValueError(f"unknown snappy chunk type {kind:#x}")
        pos += 4 + length  # 0xff stream identifier, 0xfe padding, 0x80-0xfd skippable
    return bytes(out)


_COMPRESSED = [
    (b"\x1f\x8b", "gzip", gzip.decompress),
    (b"\x28\xb5\x2f\xfd", "zstd", _arrow_stream("zstd")),
    (b"BZh", "bzip2", bz2.decompress),
    (b"\xfd7zXZ\x00", "xz", lzma.decompress),
    (b"\x04\x22\x4d\x18", "lz4", _arrow_stream("lz4")),
    (b"\xff\x06\x00\x00sNaPpY", "snappy-framed", _snappy_framed),
]

_AVRO_CODECS = {
    "null": lambda b: b,
    "deflate": lambda b: zlib.decompress(b, -15),
    "snappy": lambda b: _snappy(b[:-4]),  # the block's CRC32 follows
    "zstandard": _arrow_stream("zstd"),
    "bzip2": bz2.decompress,
    "xz": lzma.decompress,
}


# -- Avro ------------------------------------------------------------------------------------------

class _AvroReader:
    """Avro's binary encoding, read with the writer's schema (logical types left as stored)."""

    def __init__(self, data: bytes, names: dict[str, Any]) -> None:
        self.data, self.pos, self.names = data, 0, names

    def long(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return (value >> 1) ^ -(value & 1)

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ValueError(f"a value of {size} bytes runs past the block")
        value = self.data[self.pos:self.pos + size]
        self.pos += size
        return value

    def read(self, schema: Any) -> Any:
        if isinstance(schema, list):
            return self.read(schema[self.long()])
        if isinstance(schema, str):
            return self.primitive(schema) if schema in _PRIMITIVES else self.read(self.names[schema])
        kind = schema["type"]
        if isinstance(kind, (list, dict)) or kind in _PRIMITIVES:  # {"type": "bytes", "logicalType": ...}
            return self.read(kind)
        if kind == "record" or kind == "error":
            return {f["name"]: self.read(f["type"]) for f in schema["fields"]}
        if kind == "enum":
            return schema["symbols"][self.long()]
        if kind == "fixed":
            return self.take(schema["size"])
        if kind in ("array", "map"):
            items: list[Any] = []
            while count := self.long():
                if count < 0:
                    count = -count
                    self.long()  # the block's size in bytes
                for _ in range(count):
                    items.append((self.take(self.long()).decode(), self.read(schema["values"]))
                                 if kind == "map" else self.read(schema["items"]))
            return dict(items) if kind == "map" else items
        return self.read(self.names[kind])

    def primitive(self, kind: str) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return self.take(1) != b"\x00"
        if kind in ("int", "long"):
            return self.long()
        if kind == "float":
            return struct.unpack("<f", self.take(4))[0]
        if kind == "double":
            return struct.unpack("<d", self.take(8))[0]
        value = self.take(self.long())
        if kind == "string":
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value
        return value


_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _avro_names(schema: Any, namespace: str, names: dict[str, Any]) -> dict[str, Any]:
    """Named types (records, enums, fixed) by name and full name, for references to them."""
    if isinstance(schema, list):
        for branch in schema:
            _avro_names(branch, namespace, names)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "error", "enum", "fixed") and "name" in schema:
            name = schema["name"]
            namespace = schema.get("namespace", namespace) if "." not in name else name.rsplit(".", 1)[0]
            names[name.rsplit(".", 1)[-1]] = schema
            names[f"{namespace}.{name.rsplit('.', 1)[-1]}" if namespace else name] = schema
        for field in schema.get("fields", []):
            _avro_names(field["type"], namespace, names)
        for key in ("type", "items", "values"):
            if isinstance(schema.get(key), (list, dict)):
                _avro_names(schema[key], namespace, names)
    return names


def _avro_container(data: bytes) -> tuple[dict[str, bytes], list[tuple[int, bytes]]]:
    """An Avro object container file: its header metadata and its (record count, block) pairs."""
    reader = _AvroReader(data, {})
    reader.take(4)  # Obj\x01
    header = {key: bytes(value) for key, value in reader.read({"type": "map", "values": "bytes"}).items()}
    sync = reader.take(16)
    blocks = []
    while reader.pos < len(data):
        count = reader.long()
        block = reader.take(reader.long())
        if reader.take(16) != sync:
            raise ValueError(f"block {len(blocks)} does not end with the file's sync marker")
        blocks.append((count, block))
    return header, blocks
