"""The `stedi` command with a fault injected (tests only): `python -m tests.hostile.faulty_cli
FAULT stedi-arguments...`. The tests run as root, where a folder's mode stops nobody, so the
storage layer is made to fail as a folder nobody may write, or a full disk, would.

FAULT is one of:
  runs-unwritable      writing anything under runs/ fails: PermissionError
  reports-unwritable   writing anything under reports/ fails: PermissionError
  retention-fails      retention after the run fails: OSError (no space left on device)
  ctrl-c-in-retention  a Ctrl-C comes during retention (after the commit point)
  ctrl-c-at-unlock     a Ctrl-C comes as the run lets go of the lake's lock (after the commit point)
  unlock-fails         letting go of the lake's lock fails (after the commit point): OSError
  ctrl-c-in-summary    a Ctrl-C comes while `stedi run` prints its summary (after the commit point)
  killed-at-record     the process dies (as by kill -9) as it starts writing the run's record
  ctrl-c-at-record     a Ctrl-C comes as the run starts writing its record (after the commit point)
  disk-full-in-build   DuckDB's Parquet write fails as on a full disk, naming the file it wrote
  disk-full-in-commit  a table's commit fails as pyarrow reports a full disk under pyiceberg (no file named)
  ctrl-c-in-finalizer  a Ctrl-C comes while reading landing, and its KeyboardInterrupt is raised
                       inside a finalizer (Python prints "Exception ignored" and goes on)
  ctrl-c-in-exec       a Ctrl-C comes during retention (after the commit point), inside code run by
                       exec() of a string (as a module first imported makes its dataclasses)
"""

from __future__ import annotations

import errno
import os
import sys


def _failing_writes(prefix: str, error: type[OSError]) -> None:
    from stedi.storage.local import LocalStorage

    write = LocalStorage.write_atomic

    def write_atomic(self: LocalStorage, relative: str, text: str, private: bool = False) -> None:
        if relative.startswith(prefix):
            code = errno.EACCES if error is PermissionError else errno.ENOSPC
            raise error(code, os.strerror(code), self.path(relative))
        write(self, relative, text, private)

    LocalStorage.write_atomic = write_atomic  # type: ignore[method-assign]


def _retention(error: BaseException) -> None:
    import stedi.maintain.retention as retention

    def retain(*args: object, **kwargs: object) -> None:
        raise error

    retention.retain = retain  # type: ignore[assignment]


def _at_unlock(error: BaseException) -> None:
    from stedi.storage.lock import WriterLock

    release = WriterLock.release

    def released(self: WriterLock) -> None:
        release(self)
        raise error

    WriterLock.release = released  # type: ignore[method-assign]


def _ctrl_c_in_summary() -> None:
    import stedi.cli.summary as summary

    def print_summary(*args: object) -> None:
        raise KeyboardInterrupt

    summary.print_summary = print_summary  # type: ignore[assignment]


def _killed_at_record() -> None:
    from stedi.storage.local import LocalStorage

    write = LocalStorage.write_atomic

    def write_atomic(self: LocalStorage, relative: str, text: str, private: bool = False) -> None:
        if relative.startswith("runs/"):
            os._exit(137)  # no clean-up of any kind, as kill -9
        write(self, relative, text, private)

    LocalStorage.write_atomic = write_atomic  # type: ignore[method-assign]


def _ctrl_c_at_record() -> None:
    from stedi.storage.local import LocalStorage

    write = LocalStorage.write_atomic

    def write_atomic(self: LocalStorage, relative: str, text: str, private: bool = False) -> None:
        if relative.startswith("runs/"):
            raise KeyboardInterrupt
        write(self, relative, text, private)

    LocalStorage.write_atomic = write_atomic  # type: ignore[method-assign]


def _disk_full_in_build() -> None:
    import duckdb

    from stedi.engines.duckdb_engine import DuckDBEngine

    def write_parquet(self: DuckDBEngine, name: str, sql: str, directory: str, cluster: object = None,
                      order: object = ()) -> None:
        raise duckdb.IOException(f'IO Error: Could not write file "{directory}/data_0.parquet": '
                                 "No space left on device")

    DuckDBEngine.write_parquet = write_parquet  # type: ignore[method-assign,assignment]


def _ctrl_c_in_finalizer() -> None:
    import signal

    from stedi.engines.duckdb_engine import DuckDBEngine

    class Finalized:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGINT)  # the handler runs here, within the finalizer

    load = DuckDBEngine.load_landing

    def load_landing(self: DuckDBEngine, *args: object) -> object:
        Finalized()  # freed at once: as a thread pool or a query result freed while reading
        return load(self, *args)

    DuckDBEngine.load_landing = load_landing  # type: ignore[method-assign]


def _disk_full_in_commit() -> None:
    from stedi.store.iceberg_store import IcebergStore

    def change_contents(*args: object, **kwargs: object) -> None:
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    IcebergStore.change_contents = change_contents  # type: ignore[method-assign,assignment]


def _ctrl_c_in_exec() -> None:
    import stedi.maintain.retention as retention

    def retain(*args: object, **kwargs: object) -> None:
        exec("import signal; signal.raise_signal(signal.SIGINT)")

    retention.retain = retain  # type: ignore[assignment]


FAULTS = {
    "runs-unwritable": lambda: _failing_writes("runs/", PermissionError),
    "reports-unwritable": lambda: _failing_writes("reports/", PermissionError),
    "retention-fails": lambda: _retention(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))),
    "ctrl-c-in-retention": lambda: _retention(KeyboardInterrupt()),
    "ctrl-c-at-unlock": lambda: _at_unlock(KeyboardInterrupt()),
    "unlock-fails": lambda: _at_unlock(OSError(errno.EIO, os.strerror(errno.EIO))),
    "ctrl-c-in-summary": _ctrl_c_in_summary,
    "killed-at-record": _killed_at_record,
    "ctrl-c-at-record": _ctrl_c_at_record,
    "disk-full-in-build": _disk_full_in_build,
    "disk-full-in-commit": _disk_full_in_commit,
    "ctrl-c-in-finalizer": _ctrl_c_in_finalizer,
    "ctrl-c-in-exec": _ctrl_c_in_exec,
}

if __name__ == "__main__":
    FAULTS[sys.argv[1]]()
    sys.argv = ["stedi", *sys.argv[2:]]
    from stedi.cli.main import entry

    entry()
