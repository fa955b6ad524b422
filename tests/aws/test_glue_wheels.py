"""The wheels the Glue job installs: every runtime dependency at the version constraints.txt pins,
built for Glue 5.0 (CPython 3.11, manylinux x86_64 up to glibc 2.34), nothing else; in a zip laid
out as AWS's Appendix A says, the same bytes for the same wheels. Wheels that would not run on
Glue, a dependency nobody pinned, a missing folder or index: refused in one line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename

from stedi.deploy import glue_wheels
from stedi.deploy.glue_wheels import gather, pins, write_zip
from stedi.deploy.wheel import package
from stedi.errors import StediError
from tests.moto_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
# What runs on Glue 5.0's workers (AWS's Appendix B: manylinux_2_34, _2_28, 2014, x86_64; CPython 3.11).
GLUE_PLATFORMS = {f"manylinux_2_{minor}_x86_64" for minor in range(5, 35)} | {
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "any"}


def runs_on_glue(tag: Tag) -> bool:
    return (tag.interpreter in ("py3", "py2.py3", "cp311") or tag.interpreter.startswith("py3")) and \
        tag.abi in ("none", "abi3", "cp311") and tag.platform in GLUE_PLATFORMS


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glue_wheels, "_gathered", {})


def fake_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any", requires: tuple[str, ...] = ()) -> Path:
    """A wheel pip can resolve: its metadata, nothing to import."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-{tag}.whl"
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{info}/METADATA", metadata)
        z.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n")
        z.writestr(f"{info}/RECORD", "")
    return path


def test_every_runtime_dependency_at_its_pin_for_glue_5_and_nothing_else(glue_wheelhouse: Path) -> None:
    built = package()
    modules = gather(built.wheel, CONSTRAINTS, glue_wheelhouse)
    pinned = pins(CONSTRAINTS)
    requirements = modules.requirements.splitlines()
    assert len(requirements) == len(modules.wheels) and "stedi==0.1.0" in requirements
    for wheel in modules.wheels:
        name, version, _, tags = parse_wheel_filename(wheel.name)
        assert name == "stedi" or pinned[name] == str(version), wheel.name
        assert f"{name}=={version}" in requirements
        assert any(runs_on_glue(tag) for tag in tags), wheel.name
    names = {line.split("==")[0] for line in requirements}
    # The issue's own: boto3/botocore with S3 conditional writes, pyarrow >= 18 for pyiceberg, sqlglot pinned.
    assert {"boto3", "botocore", "pyarrow", "pyiceberg", "sqlglot", "duckdb", "sqlalchemy"} <= names
    assert not names & {"setuptools", "pyspark", "py4j", "pytest", "moto", "playwright", "cfn-lint"}


def test_the_zip_is_appendix_as_layout_and_the_same_wheels_make_the_same_bytes(tmp_path: Path) -> None:
    house = tmp_path / "house"
    app = fake_wheel(tmp_path / "app", "app", "1.0", requires=("dep==2.0",))
    fake_wheel(house, "dep", "2.0", "cp311-cp311-manylinux_2_34_x86_64")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("dep==2.0\n")
    modules = gather(app, constraints, house)
    assert modules.requirements == "app==1.0\ndep==2.0\n"
    first, second = write_zip(modules, tmp_path / "a.gluewheels.zip"), write_zip(modules, tmp_path / "b.gluewheels.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["wheels/requirements.txt", "wheels/app-1.0-py3-none-any.whl",
                                      "wheels/dep-2.0-cp311-cp311-manylinux_2_34_x86_64.whl"]
        assert archive.read("wheels/requirements.txt") == b"app==1.0\ndep==2.0\n"


@pytest.mark.parametrize("tag", ["cp311-cp311-manylinux_2_35_x86_64",  # a newer glibc than Glue 5.0's
                                 "cp311-cp311-manylinux_2_34_aarch64",  # not x86_64
                                 "cp312-cp312-manylinux_2_17_x86_64",  # not CPython 3.11
                                 "cp311-cp311-linux_x86_64"])  # not manylinux: built for one machine
def test_a_wheel_that_would_not_run_on_glue_is_refused_in_one_line(tag: str, tmp_path: Path) -> None:
    house = tmp_path / "house"
    app = fake_wheel(tmp_path / "app", "app", "1.0", requires=("native==1.0",))
    fake_wheel(house, "native", "1.0", tag)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("native==1.0\n")
    with pytest.raises(StediError) as refused:
        gather(app, constraints, house)
    assert str(refused.value) == (f"cannot gather the Glue job's wheels from {house}: no wheel of native==1.0 for "
                                  "Glue 5.0: CPython 3.11, manylinux x86_64, glibc 2.34")


def test_a_dependency_nobody_pinned_is_refused_in_one_line(tmp_path: Path) -> None:
    house = tmp_path / "house"
    app = fake_wheel(tmp_path / "app", "app", "1.0", requires=("dep", "loose"))
    fake_wheel(house, "dep", "2.0")
    fake_wheel(house, "loose", "3.1")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("dep==2.0\n")
    with pytest.raises(StediError) as refused:
        gather(app, constraints, house)
    assert str(refused.value) == (f"loose 3.1, which the Glue job needs, is not pinned in {constraints} (pin it there "
                                  "at the version the tests ran, and deploy again)")


def test_no_folder_and_no_index_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = fake_wheel(tmp_path / "app", "app", "1.0", requires=("dep",))
    with pytest.raises(StediError) as refused:
        gather(app, CONSTRAINTS, tmp_path / "nowhere")
    assert str(refused.value) == f"{tmp_path / 'nowhere'}: no such folder of wheels (--wheelhouse)"
    # The user's configured index, where nothing answers.
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{free_port()}/simple/")
    monkeypatch.setenv("PIP_RETRIES", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(StediError) as refused:
        gather(app, CONSTRAINTS)
    assert str(refused.value) == ("cannot gather the Glue job's wheels from the package index: the package index is "
                                  "unreachable (gather the wheels elsewhere and pass --wheelhouse DIR)")
