"""A stand-in for AWS Glue 5.0's Python, for the tests: CPython 3.11 holding the modules Glue 5.0
provides at Glue's versions (glue5_python.txt, from the set-up cache, offline), PySpark 3.5 made
visible (the project's pinned pyspark linked in: no 300 MB sdist build), and the job's modules
installed from its DefaultArguments as AWS documents Glue installs them.

    python -m tests.aws.glue_env fetch DIR     # `make glue-wheels`: the stand-in's wheels, once
    python -m tests.aws.glue_env build DIR     # ... and the stand-in itself, built from them once

A test takes a copy of the stand-in (hard links: a second, no bytes copied; pip replaces files, it
never writes into one, so the stand-in stays as built).
"""

from __future__ import annotations

import http.server
import os
import shlex
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
PINS = Path(__file__).with_name("glue5_python.txt")


def wheel_cache() -> Path:
    """Where `make glue-wheels` put the wheels: glue/ (the job's), glue-env/ (the stand-in's)."""
    return Path(os.environ.get("STEDI_WHEEL_CACHE") or REPOSITORY / ".cache" / "wheels")


def fetch(folder: Path) -> None:
    from stedi.deploy.glue_wheels import glue_platforms

    subprocess.run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                    *[f"--platform={tag}" for tag in glue_platforms()], "-r", str(PINS), "--dest", str(folder)],
                   check=True)


def pip_env(index_url: str = "http://127.0.0.1:9/simple/") -> dict[str, str]:
    """pip as a fresh Glue worker has it: no config or cache of this machine's, and an index that
    is `index_url` (by default nothing listens there). No byte-code compiling: it changes nothing
    that is installed, and halves the time (pip reads PIP_NO_COMPILE as the value of what the
    option turns off, so 0 is "do not compile")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": index_url, "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2", "PIP_NO_COMPILE": "0"}


def make_glue_python(where: Path) -> Path:
    """A venv at `where` as Glue 5.0's Python is before a job's modules; its python."""
    where = where.resolve()  # the .pth below names a folder of it: absolute, wherever Python starts
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    cached = wheel_cache() / "glue-env"
    pip_wheel = next(cached.glob("pip-*.whl"))
    # pip run from its own wheel installs the set, Glue's pip among them (the one that installs the job's).
    subprocess.run([str(python), f"{pip_wheel}/pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--find-links", str(cached), "-r", str(PINS)], check=True, env=pip_env())
    import py4j
    import pyspark

    linked = where / "pyspark-linked"  # symlinks only: the venv sees pyspark and py4j, nothing else of ours
    linked.mkdir()
    for module in (pyspark, py4j):
        (linked / module.__name__).symlink_to(Path(module.__file__).parent)
    site = subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   text=True).strip()
    (Path(site) / "pyspark-linked.pth").write_text(f"{linked}\n")
    return python


def glue_python_copy(where: Path) -> Path | None:
    """A copy at `where` of the stand-in `make glue-wheels` built, and its python; None if it has not."""
    built = wheel_cache() / "glue-python"
    if not (built / ".built").is_file():
        return None
    subprocess.run(["cp", "-al", str(built), str(where)], check=True)
    return where / "bin" / "python"


def versions(python: Path, *modules: str) -> dict[str, str]:
    """The installed versions of `modules` in that Python, as pip's metadata says."""
    code = ("import sys, importlib, importlib.metadata as m\n"
            "def version(n):\n"
            "    try: return m.version(n)\n"
            "    except m.PackageNotFoundError: return importlib.import_module(n).__version__  # linked pyspark\n"
            "print('\\n'.join(version(n) for n in sys.argv[1:]))")
    out = subprocess.check_output([str(python), "-c", code, *modules], text=True, env=pip_env())
    return dict(zip(modules, out.split()))


def install_as_glue(python: Path, arguments: dict[str, str], s3: Any, scratch: Path,
                    index_url: str) -> subprocess.CompletedProcess:
    """What Glue 5.0 does with a job's --additional-python-modules and
    --python-modules-installer-option (AWS's "Using Python libraries with AWS Glue"): the modules
    are a comma-separated list; each S3 object named is copied down first; a zip of wheels
    (`*.gluewheels.zip`) "acts as a local index for pip to resolve dependencies from", its
    wheels/requirements.txt (Appendix A) what is installed; with the option `-r` an object is a
    requirements file; anything else (a wheel, `name==version`) goes to pip as it is. The other
    installer options go to pip3 as they are."""
    options = shlex.split(arguments.get("--python-modules-installer-option", ""))
    as_requirements = "-r" in options
    options = [option for option in options if option != "-r"]
    targets: list[str] = []
    for n, module in enumerate(m.strip() for m in arguments["--additional-python-modules"].split(",")):
        if module.startswith("s3://"):
            bucket, _, key = module[len("s3://"):].partition("/")
            local = scratch / f"{n}-{Path(key).name}"
            s3.download_file(bucket, key, str(local))
            module = str(local)
        if module.endswith(".gluewheels.zip"):
            unpacked = scratch / f"{n}-unpacked"
            with zipfile.ZipFile(module) as archive:
                archive.extractall(unpacked)
            targets += ["--find-links", str(unpacked / "wheels"), "-r", str(unpacked / "wheels" / "requirements.txt")]
        elif as_requirements:
            targets += ["-r", module]
        else:
            targets.append(module)
    return subprocess.run([str(python), "-m", "pip", "install", *options, *targets], capture_output=True,
                          text=True, env=pip_env(index_url), timeout=600)


class RecordingIndex:
    """A package index on 127.0.0.1 that has nothing and remembers every request: proof that
    an install never asked PyPI (or whatever index it was given)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorded.append(self.path)
                self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/simple/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


if __name__ == "__main__" and sys.argv[1:2] == ["fetch"]:
    fetch(Path(sys.argv[2]))
elif __name__ == "__main__" and sys.argv[1:2] == ["build"]:
    shutil.rmtree(sys.argv[2], ignore_errors=True)
    make_glue_python(Path(sys.argv[2]))
    (Path(sys.argv[2]) / ".built").touch()
