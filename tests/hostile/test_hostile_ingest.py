"""Nothing delivered is lost, and nothing outside the delivery is taken.

`stedi ingest` never follows a symlink out of the delivery (a link to another lake's stedi.toml
would put its key in the quarantine table), says in one line what it did not take and why
(other files, subfolders, nested S3 keys, links, pipes), and reads `.json.gz` deliveries.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from stedi import Lakehouse
from stedi.cli.main import main
from tests.conftest import customer, reading, write_delivery

ANN = customer("ann@x.org", "S1", consent=100)
BO = customer("bo@x.org", "S2", consent=100)


def ingest(src: Path | str, lake: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    """Exit status, stdout and the lines of stderr but progress."""
    capsys.readouterr()
    code = main(["ingest", str(src), "--lake", str(lake)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, [line for line in err.splitlines() if not line.startswith("… ")]


def landing(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.glob("*/landing/*"))


def lines_of(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


# -- symlinks ------------------------------------------------------------------------------

def test_a_symlink_to_another_lakes_key_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = Lakehouse(tmp_path / "other", create=True)
    key = other.lake.config.pseudonym_key
    d = write_delivery(tmp_path / "d", customer=[ANN])
    (d / "customer/landing/customer-2.json").symlink_to(tmp_path / "other/stedi.toml")
    (tmp_path / "today").symlink_to(d)  # the user named this link: following it is what they asked
    code, out, err = ingest(tmp_path / "today", tmp_path / "lake", capsys)
    assert code == 0 and out.startswith("1 file(s) copied")
    assert err == [f"stedi: not taken (symlink out of the delivery, not followed): "
                   f"customer/landing/customer-2.json -> {tmp_path / 'other/stedi.toml'}"]
    assert landing(tmp_path / "lake") == ["customer/landing/customer-1.json"]
    house = Lakehouse(tmp_path / "lake")
    house.run()
    assert key not in json.dumps(house.table("quarantine").to_arrow().to_pylist())


def test_symlinked_folders_out_of_the_delivery_are_not_followed(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = write_delivery(tmp_path / "elsewhere", customer=[BO], accelerometer=[reading("bo@x.org", 5)])
    d = write_delivery(tmp_path / "d", step_trainer=[{"sensorReadingTime": 5, "serialNumber": "S2",
                                                      "distanceFromObject": 1}])
    (d / "customer").mkdir()
    (d / "customer/landing").symlink_to(elsewhere / "customer/landing")  # the landing folder
    (d / "accelerometer").symlink_to(elsewhere / "accelerometer")  # the source's folder
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 0 and out.startswith("1 file(s) copied")
    assert err == [f"stedi: not taken (symlink out of the delivery, not followed): accelerometer -> "
                   f"{elsewhere / 'accelerometer'}, customer/landing -> {elsewhere / 'customer/landing'}"]
    assert landing(tmp_path / "lake") == ["step_trainer/landing/step_trainer-1.json"]


def test_a_symlink_within_the_delivery_is_taken_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Decided: a link whose target lies in the delivery is part of the delivery; its bytes land
    as a plain file under the link's name. A second name of a file taken anyway lands once."""
    d = write_delivery(tmp_path / "d", customer=[ANN])
    (d / "exports").mkdir()
    (d / "exports/bo.json").write_bytes(lines_of([BO]))
    (d / "customer/landing/customer-2.json").symlink_to("../../exports/bo.json")
    (d / "customer/landing/latest.json").symlink_to("customer-1.json")
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 0 and out.startswith("2 file(s) copied")
    assert err == ["stedi: not taken (outside the folders customer, accelerometer, step_trainer): exports",
                   "stedi: not taken (a second name of a file taken, by symlink): "
                   "customer/landing/latest.json -> customer/landing/customer-1.json"]
    copied = tmp_path / "lake/customer/landing/customer-2.json"
    assert not copied.is_symlink() and copied.read_bytes() == lines_of([BO])
    assert landing(tmp_path / "lake") == ["customer/landing/customer-1.json", "customer/landing/customer-2.json"]


def test_links_to_nothing_and_pipes_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_delivery(tmp_path / "d", customer=[ANN])
    (d / "customer/landing/gone.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(d / "customer/landing/pipe.json")  # reading it would wait forever
    code, _, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 0
    assert err == ["stedi: not taken (not a regular file): customer/landing/pipe.json",
                   f"stedi: not taken (symlink to nothing): customer/landing/gone.json -> {tmp_path / 'nowhere.json'}"]


# -- what ingest does not take ---------------------------------------------------------------

def test_every_file_not_taken_is_named_by_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_delivery(tmp_path / "d", customer=[ANN], accelerometer=[reading("ann@x.org", 5)])
    (d / "customer/landing/notes.txt").write_text("hello")
    (d / "customer/landing/README").write_text("hello")
    (d / "customer/landing/2024").mkdir()
    (d / "customer/landing/2024/customer-0.json").write_bytes(lines_of([BO]))
    (d / "manifest.csv").write_text("a,b")
    for i in range(12):
        (d / f"accelerometer/landing/part-{i:02}.csv").write_text("x")
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 0 and out.startswith("2 file(s) copied")
    assert err == [
        "stedi: not taken (outside the folders customer, accelerometer, step_trainer): manifest.csv",
        "stedi: not taken (not .json or .json.gz): accelerometer/landing/part-00.csv, accelerometer/landing/part-01.csv, "
        "accelerometer/landing/part-02.csv, accelerometer/landing/part-03.csv, accelerometer/landing/part-04.csv "
        "and 9 more",
        "stedi: not taken (a subfolder: ingest takes the files directly in a source's folder): customer/landing/2024",
    ]


def test_gzip_deliveries_are_decompressed_into_landing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_delivery(tmp_path / "d", accelerometer=[reading("ann@x.org", 500)])
    (d / "customer/landing").mkdir(parents=True)
    (d / "customer/landing/customer-1.json.gz").write_bytes(gzip.compress(lines_of([ANN, BO])))
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert (code, err) == (0, []) and out.startswith("2 file(s) copied")
    assert "decompressed from .json.gz: customer/landing/customer-1.json.gz -> customer/landing/customer-1.json" in out
    assert (tmp_path / "lake/customer/landing/customer-1.json").read_bytes() == lines_of([ANN, BO])
    code, out, _ = ingest(d, tmp_path / "lake", capsys)  # again: nothing new
    assert code == 0 and out.startswith("0 file(s) copied") and "2 already there unchanged" in out
    house = Lakehouse(tmp_path / "lake")
    house.run()
    assert sorted(r["email"] for r in house.table("customer_trusted").to_arrow().to_pylist()) == ["ann@x.org",
                                                                                                 "bo@x.org"]


def test_a_corrupt_gzip_is_refused_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_delivery(tmp_path / "d", accelerometer=[reading("ann@x.org", 500)])
    (d / "customer/landing").mkdir(parents=True)
    whole = gzip.compress(lines_of([ANN, BO] * 200))
    (d / "customer/landing/cut.json.gz").write_bytes(whole[: len(whole) // 2])
    (d / "customer/landing/junk.json.gz").write_bytes(b"not gzip at all")
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 1 and out.startswith("1 file(s) copied")
    assert len(err) == 2 and all(line.startswith("stedi: refused: ") for line in err)
    assert str(d / "customer/landing/cut.json.gz") in err[0] and "not a whole gzip file" in err[0]
    assert str(d / "customer/landing/junk.json.gz") in err[1] and "not a gzip file" in err[1]
    assert landing(tmp_path / "lake") == ["accelerometer/landing/accelerometer-1.json"]
    assert [p.name for p in (tmp_path / "lake/customer/landing").iterdir()] == []  # no partial left


def test_a_file_delivered_both_plain_and_gzipped_is_a_conflict(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    d = write_delivery(tmp_path / "d", customer=[ANN], accelerometer=[reading("ann@x.org", 500)])
    (d / "customer/landing/customer-1.json.gz").write_bytes(gzip.compress(lines_of([BO])))
    code, out, err = ingest(d, tmp_path / "lake", capsys)
    assert code == 1 and out.startswith("1 file(s) copied")
    assert err == [f"stedi: refused: {d / 'customer/landing/customer-1.json'} and customer-1.json.gz: both would "
                   "land as customer/landing/customer-1.json; deliver one of them"]
    assert landing(tmp_path / "lake") == ["accelerometer/landing/accelerometer-1.json"]


def test_an_s3_delivery_names_nested_keys_and_reads_gzip(bucket: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    from tests.moto_server import REGION

    s3 = boto3.client("s3", region_name=REGION)
    for key, body in [("in/customer/landing/customer-1.json", lines_of([ANN])),
                      ("in/customer/landing/2024/customer-0.json", lines_of([BO])),
                      ("in/accelerometer/landing/a.json.gz", gzip.compress(lines_of([reading("ann@x.org", 5)]))),
                      ("in/step_trainer/landing/notes.txt", b"hello"),
                      ("in/README.md", b"hello")]:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    code, out, err = ingest(f"s3://{bucket}/in", tmp_path / "lake", capsys)
    assert code == 0 and out.startswith("2 file(s) copied"), (out, err)
    assert "accelerometer/landing/a.json.gz -> accelerometer/landing/a.json" in out
    assert err == [
        "stedi: not taken (outside the folders customer, accelerometer, step_trainer): README.md",
        "stedi: not taken (not .json or .json.gz): step_trainer/landing/notes.txt",
        "stedi: not taken (a subfolder: ingest takes the files directly in a source's folder): customer/landing/2024",
    ]
    assert (tmp_path / "lake/accelerometer/landing/a.json").read_bytes() == lines_of([reading("ann@x.org", 5)])
