"""The erasure scanner finds a value wherever a reader would: inside compressed Parquet pages and
statistics, Avro blocks and Iceberg manifest bounds, gzip'd JSON, SQLite rows and free pages, S3
objects and their old versions; and it reports nothing that is not there."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import sqlite3
import zipfile
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.erasure_scan import UNDECODABLE, Hit, assert_no_hits, scan_bucket, scan_folder

NEEDLE = "pat.needle@example.com"
OTHER = "zoe.other@example.com"  # another customer's value: still there, still found
ABSENT = "nobody.at.all@example.com"


def found(hits: list[Hit], needle: str, file: str | None = None) -> list[str]:
    """The `where` of each hit of `needle` (in `file`)."""
    return [h.where for h in hits if h.needle == needle and (file is None or h.file == file)]


def raw_search(data: bytes, needle: str) -> bool:
    """What a plain byte search sees."""
    return needle.encode() in data


# -- Parquet -------------------------------------------------------------------------------------

def hidden_in_pages(needle: str) -> list[str]:
    """Values whose encoded bytes hold `needle` only as back-references to its two halves seen
    earlier: a compressor then writes no literal copy of it (a unique value would stay literal)."""
    head, tail = needle.split("@")
    return [head, f"@{tail}"] + [f"filler-{i}@example.org" for i in range(40)] + [needle, OTHER]


@pytest.mark.parametrize("codec", ["snappy", "zstd"])
def test_a_value_only_inside_compressed_pages_is_found_though_raw_bytes_miss_it(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"email": hidden_in_pages(NEEDLE)}), path, compression=codec,
                   use_dictionary=False, write_statistics=False)
    assert not raw_search(path.read_bytes(), NEEDLE)  # the premise: raw bytes alone would pass

    hits = scan_folder(tmp_path, [NEEDLE, ABSENT])
    assert found(hits, NEEDLE) == ["parquet row group 0 column email at row 42"]
    assert found(hits, ABSENT) == []


def test_row_group_statistics_and_key_value_metadata_are_searched(tmp_path: Path) -> None:
    table = pa.table({"email": [NEEDLE, "q@example.com", OTHER], "phone": [8015551212, 1, 2]})
    table = table.replace_schema_metadata({"owner": NEEDLE})
    pq.write_table(table, tmp_path / "stats.parquet", compression="zstd", row_group_size=2)

    hits = scan_folder(tmp_path, [NEEDLE, OTHER, "8015551212"])
    assert "parquet row group 0 column email statistics min" in found(hits, NEEDLE)
    assert "parquet key-value metadata 'owner'" in found(hits, NEEDLE)
    assert "parquet row group 1 column email statistics max" in found(hits, OTHER)
    assert "parquet row group 1 column email at row 0" in found(hits, OTHER)  # rows count within their group
    # A number is found as its text: a phone typed as an integer is still a phone.
    assert "parquet row group 0 column phone statistics max" in found(hits, "8015551212")
    assert "parquet row group 0 column phone at row 0" in found(hits, "8015551212")


def test_a_dictionary_encoded_column_and_a_dictionary_entry_no_row_uses(tmp_path: Path) -> None:
    emails = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0, 1], pa.int32()), pa.array([OTHER, NEEDLE]))
    pq.write_table(pa.table({"email": emails}), tmp_path / "dict.parquet", compression="snappy", write_statistics=False)
    # Rows filtered out in Arrow keep their dictionary: the file still holds the value.
    orphan = pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), pa.array([OTHER, NEEDLE]))
    pq.write_table(pa.table({"email": orphan}), tmp_path / "orphan.parquet", compression="zstd", write_statistics=False)

    hits = scan_folder(tmp_path, [NEEDLE, OTHER])
    assert "parquet row group 0 column email (dictionary-encoded) at row 0 (+1 more)" in found(hits, OTHER, "dict.parquet")
    assert "parquet row group 0 column email (dictionary-encoded) at row 1 (+1 more)" in found(hits, NEEDLE, "dict.parquet")
    assert found(hits, NEEDLE, "orphan.parquet") == ["parquet row group 0 column email dictionary (an entry no row uses) at entry 1"]


def test_nested_and_binary_columns_are_searched(tmp_path: Path) -> None:
    table = pa.table({
        "contact": pa.array([{"emails": ["a@b.c"], "tags": [("k", "v")]}, {"emails": ["x@y.z", NEEDLE], "tags": [(OTHER, "1")]}],
                            pa.struct([("emails", pa.list_(pa.string())), ("tags", pa.map_(pa.string(), pa.string()))])),
        "blob": pa.array([b"\x00" + NEEDLE.encode() + b"\xff", b""], pa.binary()),
    })
    pq.write_table(table, tmp_path / "nested.parquet", compression="zstd", write_statistics=False)

    hits = scan_folder(tmp_path, [NEEDLE, OTHER])
    assert "parquet row group 0 column contact.emails[] at row 1" in found(hits, NEEDLE)
    assert "parquet row group 0 column blob at row 0" in found(hits, NEEDLE)
    assert "parquet row group 0 column contact.tags[].key at row 1" in found(hits, OTHER)


def test_a_parquet_file_cut_short_is_reported_as_undecodable(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"email": [OTHER]}), buffer, compression="zstd")
    (tmp_path / ".data.parquet.partial").write_bytes(buffer.getvalue()[:-30])

    hits = scan_folder(tmp_path, [NEEDLE])
    assert [(h.file, h.needle) for h in hits] == [(".data.parquet.partial", UNDECODABLE)]
    with pytest.raises(AssertionError, match=r"1 hit\(s\).*\n  '<undecodable>' in .data.parquet.partial: parquet: cannot decode"):
        assert_no_hits(hits)


# -- Avro and Iceberg ------------------------------------------------------------------------------

def zigzag(n: int) -> bytes:
    n, out = (n << 1) ^ (n >> 63), bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def avro_bytes(b: bytes) -> bytes:
    return zigzag(len(b)) + b


def avro_container(schema: dict, records: list[bytes], codec: str) -> bytes:
    """An Avro object container file, written by hand (fastavro is not installed)."""
    sync = bytes(range(16))
    header = {"avro.schema": json.dumps(schema).encode(), "avro.codec": codec.encode()}
    block = b"".join(records)
    if codec == "deflate":
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(block) + compressor.flush()
    elif codec == "snappy":
        block = pa.Codec("snappy").compress(block, asbytes=True) + zlib.crc32(block).to_bytes(4, "big")
    elif codec == "zstandard":
        block = pa.Codec("zstd").compress(block, asbytes=True)
    return (b"Obj\x01" + zigzag(len(header)) + b"".join(avro_bytes(k.encode()) + avro_bytes(v) for k, v in header.items())
            + zigzag(0) + sync + zigzag(len(records)) + avro_bytes(block) + sync)


@pytest.mark.parametrize("codec", ["deflate", "snappy", "zstandard", "null"])
def test_an_avro_file_is_decoded_block_by_block_and_record_by_record(tmp_path: Path, codec: str) -> None:
    contact = {"type": "record", "name": "contact", "namespace": "p", "fields": [{"name": "phone", "type": "string"}]}
    schema = {"type": "record", "name": "person", "namespace": "p", "fields": [
        {"name": "id", "type": "long"},
        {"name": "email", "type": ["null", "string"]},
        {"name": "attributes", "type": {"type": "map", "values": "bytes"}},
        {"name": "contact", "type": contact},
        {"name": "previous", "type": ["null", "p.contact"]},  # a reference to a named type
    ]}

    def person(i: int, email: str | None, phone: str, previous: str | None) -> bytes:
        return (zigzag(i) + (zigzag(0) if email is None else zigzag(1) + avro_bytes(email.encode()))
                + zigzag(1) + avro_bytes(b"seen") + avro_bytes(b"yes") + zigzag(0) + avro_bytes(phone.encode())
                + (zigzag(0) if previous is None else zigzag(1) + avro_bytes(previous.encode())))

    data = avro_container(schema, [person(1, OTHER, "111", None), person(2, None, "222", NEEDLE)], codec)
    (tmp_path / "people.avro").write_bytes(data)
    assert codec != "deflate" or not raw_search(data, NEEDLE)

    hits = scan_folder(tmp_path, [NEEDLE, OTHER, ABSENT])
    assert {f"avro block 0 ({codec}) decompressed: raw bytes at offset 59",
            "avro record $.previous.phone at record 1"} <= set(found(hits, NEEDLE))
    assert "avro record $.email at record 0" in found(hits, OTHER)
    assert found(hits, ABSENT) == []


def test_an_iceberg_table_written_by_pyiceberg_holds_the_value_in_its_data_file_and_its_manifest_bounds(tmp_path: Path) -> None:
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("scan", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}/warehouse")
    catalog.create_namespace("lake")
    people = pa.table({"email": [NEEDLE, OTHER], "name": ["Pat Needle", "Zoe Other"]})
    table = catalog.create_table("lake.people", schema=people.schema)
    table.append(people)
    folder = Path(table.location().removeprefix("file://"))

    hits = scan_folder(folder, [NEEDLE, OTHER, "Pat Needle", ABSENT])
    data_file = next(h.file for h in hits if h.file.endswith(".parquet"))
    manifest = next(p for p in (folder / "metadata").glob("*.avro") if not p.name.startswith("snap-"))
    in_manifest = manifest.relative_to(folder).as_posix()
    assert "parquet row group 0 column email at row 0" in found(hits, NEEDLE, data_file)
    assert not raw_search(manifest.read_bytes(), "Pat Needle")  # pyiceberg deflates manifests
    # A short value is a bound whole; an email is truncated to Iceberg's 16 characters, the upper
    # bound with its last character incremented ("zoe.other@exampm").
    assert "avro record $.data_file.lower_bounds[1].value at record 0" in found(hits, "Pat Needle", in_manifest)
    assert ("avro record $.data_file.lower_bounds[0].value (truncated lower bound, 16 of 22) at record 0"
            in found(hits, NEEDLE, in_manifest))
    assert ("avro record $.data_file.upper_bounds[0].value (truncated upper bound, 16 of 21) at record 0"
            in found(hits, OTHER, in_manifest))
    assert found(hits, ABSENT) == []


# -- JSON, SQLite, any file ------------------------------------------------------------------------

def test_gzipped_and_escaped_json_metadata_is_parsed(tmp_path: Path) -> None:
    metadata = {"format-version": 2, "properties": {"owner": NEEDLE}, "snapshots": [{"summary": {"by": OTHER}}]}
    text = json.dumps(metadata).encode()
    (tmp_path / "00001-a.metadata.json.gz").write_bytes(gzip.compress(text))
    (tmp_path / "00002-b.metadata.json").write_bytes(gzip.compress(text))  # named as plain: sniffed by content
    (tmp_path / "escaped.json").write_text('{"by": "pat.needle\\u0040example.com"}\n{"cut short": "pat.needle\\/x\n')
    assert not raw_search((tmp_path / "00001-a.metadata.json.gz").read_bytes(), NEEDLE)
    assert not raw_search((tmp_path / "escaped.json").read_bytes(), NEEDLE)

    hits = scan_folder(tmp_path, [NEEDLE, OTHER, "pat.needle/x"])
    for name in ("00001-a.metadata.json.gz", "00002-b.metadata.json"):
        assert "gzip > json $.properties.owner" in found(hits, NEEDLE, name)
        assert "gzip > json $.snapshots[0].summary.by" in found(hits, OTHER, name)
    assert found(hits, NEEDLE, "escaped.json") == ["json $.by at line 1"]
    # A malformed line is not parsed; its raw text is searched with "/" written as "\/".
    assert found(hits, "pat.needle/x", "escaped.json") == ["raw bytes (json-escaped) at offset 53"]


def test_sqlite_rows_are_read_and_deleted_rows_are_found_in_free_pages(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA secure_delete = OFF")
        db.execute("CREATE TABLE people (id INTEGER, email TEXT, photo BLOB)")
        db.executemany("INSERT INTO people VALUES (?, ?, ?)",
                       [(1, OTHER, None), (2, "gone@example.com", None), (3, "x", NEEDLE.encode())])
        db.execute("DELETE FROM people WHERE id = 2")
    db.close()
    before = sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()

    hits = scan_folder(tmp_path, [NEEDLE, OTHER, "gone@example.com"])
    assert "sqlite table people column email at row 1" in found(hits, OTHER)
    assert "sqlite table people column photo at row 2" in found(hits, NEEDLE)
    # Deleted, not yet overwritten: no table has it, the file's bytes do.
    assert [where.split(" at ")[0] for where in found(hits, "gone@example.com")] == ["raw bytes"]
    assert (sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()) == before  # the scan wrote nothing


def test_hidden_files_subfolders_and_other_encodings_are_searched(tmp_path: Path) -> None:
    (tmp_path / ".lock").write_text(json.dumps({"holder": NEEDLE}))
    (tmp_path / "a" / ".b").mkdir(parents=True)
    (tmp_path / "a" / ".b" / ".x.partial").write_bytes(NEEDLE.encode("utf-16-le"))
    (tmp_path / "stedi.toml").write_text('[lake]\nowner = "pat.needle\\u0040example.com"\n')
    (tmp_path / "blob.zst").write_bytes(pa.Codec("zstd").compress(b"{\"x\": 1}\n" * 50 + OTHER.encode(), asbytes=True))

    hits = scan_folder(tmp_path, [NEEDLE, OTHER])
    assert [(h.file, h.where) for h in hits if h.needle == NEEDLE] == [
        (".lock", "json $.holder"), (".lock", "raw bytes at offset 12"),
        ("a/.b/.x.partial", "raw bytes (utf-16-le) at offset 0"), ("stedi.toml", "toml $.lake.owner")]
    assert "zstd > raw bytes at offset 450" in found(hits, OTHER)


@pytest.mark.parametrize("packing", ["gzip", "zstd", "bzip2", "xz", "lz4", "snappy-framed", "zip", "zlib"])
def test_compressed_files_are_unpacked_by_content(tmp_path: Path, packing: str) -> None:
    text = json.dumps({"e": NEEDLE}).encode()
    if packing == "snappy-framed":  # a stream identifier, then one compressed chunk (CRC not checked)
        chunk = b"\0\0\0\0" + pa.Codec("snappy").compress(text, asbytes=True)
        packed = b"\xff\x06\x00\x00sNaPpY\x00" + len(chunk).to_bytes(3, "little") + chunk
    elif packing == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("inner/m.json", text)
        packed = buffer.getvalue()
    elif packing == "zlib":
        packed = zlib.compress(text)
    elif packing in ("zstd", "lz4"):  # lz4: the frame format
        packed = pa.Codec(packing).compress(text, asbytes=True)
    else:
        packed = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}[packing](text)
    (tmp_path / "packed").write_bytes(packed)

    hits = scan_folder(tmp_path, [NEEDLE])
    layer = "zip inner/m.json" if packing == "zip" else packing
    assert f"{layer} > json $.e" in found(hits, NEEDLE)


def test_a_clean_folder_gives_no_hit_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    pq.write_table(pa.table({"email": [OTHER]}), tmp_path / "d.parquet")
    (tmp_path / "m.json.gz").write_bytes(gzip.compress(json.dumps({"a": OTHER}).encode()))
    assert_no_hits(scan_folder(tmp_path, [NEEDLE, ABSENT]))
    with pytest.raises(FileNotFoundError):
        scan_folder(tmp_path / "missing", [NEEDLE])
    with pytest.raises(ValueError):
        scan_folder(tmp_path, [""])


# -- S3 --------------------------------------------------------------------------------------------

def test_every_object_under_a_prefix_of_a_bucket_is_decoded(bucket: str) -> None:
    import boto3

    from tests.moto_server import REGION

    s3 = boto3.client("s3", region_name=REGION)
    page = io.BytesIO()
    pq.write_table(pa.table({"email": hidden_in_pages(NEEDLE)}), page, compression="zstd",
                   use_dictionary=False, write_statistics=False)
    s3.put_object(Bucket=bucket, Key="lake/customer/trusted/data/d.parquet", Body=page.getvalue())
    s3.put_object(Bucket=bucket, Key="lake/customer/trusted/metadata/v1.metadata.json.gz",
                  Body=gzip.compress(json.dumps({"owner": OTHER}).encode()))
    s3.put_object(Bucket=bucket, Key="lake/.lock", Body=NEEDLE.encode())
    s3.put_object(Bucket=bucket, Key="elsewhere/x.json", Body=json.dumps({"e": NEEDLE}).encode())

    hits = scan_bucket(s3, bucket, "lake/", [NEEDLE, OTHER, ABSENT])
    assert [(h.file, h.where) for h in hits if h.needle == NEEDLE] == [
        ("lake/.lock", "raw bytes at offset 0"),
        ("lake/customer/trusted/data/d.parquet", "parquet row group 0 column email at row 42")]
    assert "gzip > json $.owner" in found(hits, OTHER, "lake/customer/trusted/metadata/v1.metadata.json.gz")
    assert found(hits, ABSENT) == []
    assert {h.file for h in scan_bucket(s3, bucket, "", [NEEDLE])} == {"lake/.lock", "lake/customer/trusted/data/d.parquet", "elsewhere/x.json"}


def test_old_versions_and_unfinished_uploads_in_a_bucket_are_reported(bucket: str) -> None:
    import boto3

    from tests.moto_server import REGION

    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="lake/customer/landing/c.json", Body=json.dumps({"email": NEEDLE}).encode())
    s3.put_object(Bucket=bucket, Key="lake/customer/landing/c.json", Body=json.dumps({"email": OTHER}).encode())
    s3.delete_object(Bucket=bucket, Key="lake/customer/landing/c.json")  # a delete marker hides, keeps
    upload = s3.create_multipart_upload(Bucket=bucket, Key="lake/big.parquet")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="lake/big.parquet", UploadId=upload, PartNumber=1, Body=NEEDLE.encode())

    hits = scan_bucket(s3, bucket, "lake/", [NEEDLE])
    assert [(h.file.split(" (")[1].split(" ")[0], h.where, h.needle) for h in hits] == [
        ("multipart", "incomplete multipart upload: its parts cannot be read back", UNDECODABLE),
        ("noncurrent", "json $.email", NEEDLE), ("noncurrent", "raw bytes at offset 11", NEEDLE)]
    s3.abort_multipart_upload(Bucket=bucket, Key="lake/big.parquet", UploadId=upload)
