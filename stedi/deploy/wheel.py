"""The package as AWS Glue installs it: a wheel built from this source tree, and the job script.

The wheel is built offline (`pip wheel --no-deps --no-build-isolation --no-index`, with the
setuptools of the venv's `aws` extra: a tool of the machine that deploys, never a dependency the
job installs, so Glue keeps its own), from a copy of the sources in a temporary folder: setuptools
builds in place otherwise, leaving build/ and *.egg-info in the tree, and a stale build/lib
would put files deleted from the source into the wheel.

Wheels are not byte-reproducible (zip timestamps), so what identifies one is `wheel_digest`,
over its members' names and contents.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from stedi.errors import StediError

SCRIPT = "stedi/jobs/spark_run.py"  # the Glue job's script, inside the package
_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in")
_built: dict[str, Path] = {}  # source digest -> wheel, for the life of the process


@dataclass(frozen=True)
class Package:
    wheel: Path  # named as pip needs it: stedi-VERSION-py3-none-any.whl
    wheel_digest: str
    script: bytes  # the job script, as the wheel holds it
    script_digest: str


def project_root() -> Path:
    """The source tree the running `stedi` package was installed from (pip install -e .)."""
    import stedi

    root = Path(stedi.__file__).resolve().parent.parent
    try:
        name = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        name = None
    if name != "stedi":
        raise StediError(f"stedi is not installed from a source tree (no stedi pyproject.toml in {root}); "
                         "deploy builds the package from a clone: pip install -e . there, and run it from that venv")
    return root


def package(root: Path | None = None) -> Package:
    """The wheel and the job script of the sources at `root` (default: project_root()). A wheel
    already built in this process from the same sources is reused."""
    root = root or project_root()
    staging = Path(tempfile.mkdtemp(prefix="stedi-src-"))
    try:
        _stage(root, staging)
        digest = _tree_digest(staging)
        wheel = _built.get(digest)
        if wheel is None or not wheel.is_file():
            wheel = _built[digest] = build_wheel(staging, Path(cache_dir()) / digest[:16], shown=root)
        script = (staging / SCRIPT).read_bytes()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Package(wheel, wheel_digest(wheel), script, hashlib.sha256(script).hexdigest())


def build_wheel(root: Path, out: Path, shown: Path | None = None) -> Path:
    """Build the wheel of the project at `root` into `out`; nothing is downloaded. `shown`: the
    tree to name in an error (`root` may be a copy of it)."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--no-cache-dir", "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out), str(root)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(out.glob("stedi-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        output = done.stderr + done.stdout
        # --no-build-isolation builds with the venv's own setuptools: a missing or old one is the usual cause.
        hint = (" (the build needs setuptools>=68 in this venv: pip install -c constraints.txt -e '.[aws]')"
                if "No module named" in output or "bdist_wheel" in output else "")
        raise StediError(f"cannot build the stedi wheel from {shown or root}: {pip_reason(output)}{hint}")
    return wheels[0]


def pip_reason(output: str) -> str:
    """The line of pip's output that says what failed: the build's own last words where pip
    quotes them, else pip's error."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if "[end of output]" in lines[1:]:
        return lines[lines.index("[end of output]") - 1]
    errors = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("error:")]
    return errors[-1] if errors else (lines[-1] if lines else "pip failed")


def wheel_digest(wheel: Path) -> str:
    """sha256 over the sorted member names and their contents (not the zip's timestamps)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            digest.update(f"{name}\0{len(data)}\0".encode("utf-8"))  # lengths: no two layouts hash alike
            digest.update(data)
    return digest.hexdigest()


def _stage(root: Path, staging: Path) -> None:
    """Copy what the build reads (the build files, the readme, the package) into `staging`."""
    for name in _BUILD_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, staging / name)
    readme = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {}).get("readme")
    readme = readme.get("file") if isinstance(readme, dict) else readme
    if isinstance(readme, str) and (root / readme).is_file():
        (staging / readme).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / readme, staging / readme)
    shutil.copytree(root / "stedi", staging / "stedi",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{len(data)}\0".encode("utf-8"))
        digest.update(data)
    return digest.hexdigest()


_cache: str | None = None


def cache_dir() -> str:
    global _cache
    if _cache is None:
        _cache = tempfile.mkdtemp(prefix="stedi-wheels-")
        atexit.register(shutil.rmtree, _cache, True)
    return _cache
