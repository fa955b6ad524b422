"""A run's work before any commit: read landing, build every table's files, audit them.

A full build reads every landing file and builds every table whole. An incremental build reads
only the files no run has read, works out the customers they affect (stedi/pipeline/incremental)
and builds only those customers' rows; the files of each table that hold their old rows are
rewritten without them. The landing files are read and accepted by stedi/pipeline/accepting.py,
rows already in a table changed by stedi/pipeline/rewrites.py (a forget's, erasing.py): mixins of
the Builder. Either way nothing is committed here: the run commits what this returns, all or
nothing (stedi/pipeline/committing.py).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from stedi.audits import PRIVACY_AUDITS, audit_sql, proofs
from stedi.errors import StediError
from stedi.landing.sources import SOURCES
from stedi.models import all_models
from stedi.pipeline import incremental as inc
from stedi.pipeline.accepting import Accepting
from stedi.pipeline.changes import LandingPlan, accepted_table, rows_of
from stedi.pipeline.erasing import Erasing, Erasures
from stedi.pipeline.rewrites import SORTED_BY, Old, Rewrites
from stedi.pipeline.summary import TableResult

if TYPE_CHECKING:
    from pathlib import Path

    from stedi.commit.state import LakeState
    from stedi.engines.base import Engine, Written
    from stedi.pipeline.forgotten import Forgotten
    from stedi.lake import Lake
    from stedi.pipeline.summary import RunSummary

Progress = Callable[[str], None]


@dataclass
class Built:
    """One table's change, ready to commit: `add` these files and remove `remove` (the table's
    files this run rewrote; None: every file, the table is replaced whole)."""

    name: str
    location: str  # the table's, as Iceberg records it
    directory: str  # this run's folder of the table's files, relative to the lake
    view: str  # the engine's name for the rows this run wrote (their schema is the table's)
    add: list[str] = field(default_factory=list)
    remove: list[str] | None = None
    properties: dict[str, str] = field(default_factory=dict)  # changed snapshot properties (a reason to commit)
    # An accepted table's record of the landing files read into it: on every snapshot committed
    # of it, changed or not (a snapshot without it makes the next run rebuild everything).
    read_files: str = ""
    rows: int = 0  # rows in the table once committed
    # What a full rebuild's rows are known to follow from, where that is cheaper than hashing them.
    fingerprint: str = ""

    @property
    def changes(self) -> bool:
        return self.remove is None or bool(self.add or self.remove or self.properties)


class Builder(Accepting, Rewrites, Erasures):
    def __init__(self, lake: "Lake", engine: "Engine", summary: "RunSummary", plan: LandingPlan,
                 last: "LakeState", spill: "Path", say: Progress, forgotten: "Forgotten | None" = None,
                 erasing: Erasing | None = None):
        self.lake, self.engine, self.summary, self.plan, self.last = lake, engine, summary, plan, last
        self.spill, self.say, self.forgotten, self.erasing = spill, say, forgotten, erasing
        self.built: list[Built] = []
        self.quarantine_removed = 0  # by a forget: the quarantine rows it took out (its new ones replace them)
        self.old: dict[str, Old] = {}

    def build(self) -> list[Built]:
        with self.summary.phase("read landing"):
            if self.erasing:
                self._read_originals()  # before the files as they are now, which take their names
            rejected = self._load_landing()
        self.engine.set_parameters(consent_policy=self.summary.consent_policy, pseudonym_key=self.lake.pseudonym_key)
        if not self.plan.full:
            # The accepted tables are read; the others only where an affected customer may have
            # rows in them (below), or by a forget.
            self._register_old([accepted_table(source) for source in SOURCES]
                               + (["quarantine"] if self.erasing else []))
            if self.erasing:
                self._without_erased()
        with self.summary.phase("accepted tables"):
            self._write_accepted()
        known = 0
        # Rows each model read and wrote, for the summary (a landing table: the lines it accepted
        # this run; an incremental run reads the affected customers' older rows too).
        counts = {t.name: t.rows_out for t in self.summary.tables}
        models_started = time.perf_counter()
        if not self.plan.full:
            inc.landing_views(self.engine, affected_only=False)
            # Every customer's latest record, read by the affected set, two models and an audit: once.
            self.engine.materialize("customer_latest", _model_sql("customer_latest"))
            known = inc.find_affected(self.engine, *((self._erased_owners(), "all_customer_accepted")
                                                      if self.erasing else ()))
            inc.landing_views(self.engine)
            if known:  # customers the last run knew: their old rows must go
                self._register_old([m.name for m in all_models() if m.stored])
        for model in all_models():
            if not model.stored:
                if self.plan.full:  # (an incremental build has it already)
                    self.engine.create_view(model.name, model.sql)
                continue
            self.say(f"building {model.name}")
            t0 = time.perf_counter()
            staged = self._stage(model.name, model.name)
            sql = model.sql if self.plan.full else inc.affected_rows(model.name, model.sql)
            written = self._write(model.name, sql, f"{staged.directory}/new", self._cluster(model.name),
                                  SORTED_BY.get(model.name, ()))
            staged.add = written.files
            main_input = model.inputs[0]
            if main_input not in counts:
                counts[main_input] = self.engine.count(main_input)
            counts[model.name] = written.rows
            result = TableResult(model.name, counts[main_input], written.rows, 0, 0.0)
            if self.plan.full:
                staged.rows = written.rows
                staged.fingerprint = self._derived_fingerprint(model.name)
            else:
                staged.remove = []
                result.removed = self._remove_old_rows(staged) if known else 0
                staged.rows = self.old_rows(model.name) - result.removed + written.rows
            result.total = staged.rows
            result.seconds = time.perf_counter() - t0
            self.summary.tables.append(result)
        self.summary.phases["build tables"] = time.perf_counter() - models_started
        self.say("auditing privacy")
        with self.summary.phase("audit"):
            self.summary.shared_serial_numbers, self.summary.shared_serial_readings = self._audit()
        with self.summary.phase("quarantine"):
            self._write_quarantine(rejected)
        if not self.plan.full:
            with self.summary.phase("compact"):
                for built in self.built:
                    self._compact(built)
        return self.built

    def _derived_fingerprint(self, name: str) -> str:
        """What a full rebuild's rows of a model follow from: its SQL, the run parameters it reads
        (the consent policy; the pseudonym key by its hash, as the state is not secret) and the
        same of every input, down to the landing files read (the accepted tables' fingerprints).
        Hashing the rows themselves cost a pass over every table (0.25 s at 10 M readings,
        about 4 s at 100 M) for the same answer. "" where an input is not known that way."""
        known = {f"{s}_landing": b.fingerprint for s in SOURCES for b in self.built if b.name == accepted_table(s)}

        def of(table: str) -> str:
            if table not in known:
                m = next((m for m in all_models() if m.name == table), None)
                if m is None:
                    return ""
                parts = [m.sql] + [of(i) for i in m.inputs]
                if "consent_policy" in m.sql:
                    parts.append(self.summary.consent_policy)
                if "pseudonym_key" in m.sql:
                    parts.append(hashlib.sha256(self.lake.pseudonym_key.encode()).hexdigest())
                known[table] = "" if not all(parts) else hashlib.sha256("\n".join(parts).encode()).hexdigest()
            return known[table]

        found = of(name)
        return "built:" + found if found else ""

    def old_rows(self, name: str) -> int:
        """Rows of a table as the last run left it."""
        return rows_of(self.lake, self.last.tables[name])

    def _register_old(self, names: list[str]) -> None:
        """These stored tables as the last run left them, readable as old_<table>."""
        from stedi.store.iceberg_store import IcebergStore

        properties = self.lake.storage.iceberg_properties()
        for name in names:
            table = IcebergStore.open(self.last.tables[name].metadata_location, properties)
            files = IcebergStore.data_files(name, table)
            self.old[name] = Old(files, self.old_rows(name))
            self.engine.register_parquet(inc.old_rows(name), files, table.schema().as_arrow())

    # -- audits -------------------------------------------------------------------------

    def _audit(self) -> tuple[int, int]:
        """Stop before any commit if a built table breaks a privacy rule. Returns the serial numbers
        held by several customers, and the step-trainer readings left out for it. An incremental
        run audits the rows it rebuilt (every other row passed when it was built, and its inputs
        have not changed since); the serial numbers are counted over every reading."""
        if not self.plan.full:
            inc.landing_views(self.engine, affected_only=False)
        # An audit the model's SQL answers (stedi/audits/proofs.py) does not read the rows, once a
        # key is known to name one customer.
        machine_learning = next(m.sql for m in all_models() if m.name == "machine_learning_curated")
        proved = [name for name in PRIVACY_AUDITS if proofs.proved(name, machine_learning)]
        if proved and self.engine.rows(proofs.UNIQUE_CURATED_EMAILS)[0][0] != 0:
            proved = []
        checked = [name for name in PRIVACY_AUDITS if name not in proved]
        queries = [f"SELECT count(*) FROM ({audit_sql(name)})" for name in checked]
        shared = f"SELECT count(*), coalesce(sum(readings), 0) FROM ({audit_sql('shared_serial_numbers')})"
        started = time.perf_counter()
        *found, [(serials, readings)] = self.engine.rows_of_each(queries + [shared])
        seconds = (time.perf_counter() - started) / max(len(queries), 1)  # run together: each its share
        results = {name: (int(offending), seconds) for name, [(offending,)] in zip(checked, found)}
        results.update({name: (0, 0.0) for name in proved})
        for name in PRIVACY_AUDITS:
            offending, took = results[name]
            self.summary.audits.append({"name": name, "offending": offending, "seconds": took,
                                        **({"proved": True} if name in proved else {})})
            if offending:
                raise StediError(
                    f"privacy audit {name} found {offending} offending row(s); nothing was committed "
                    f"(the query is stedi/audits/{name}.sql)"
                )
        return int(serials), int(readings)

    # -- files --------------------------------------------------------------------------

    def _stage(self, name: str, view: str) -> Built:
        """The folder this run writes a table's files into (the journal names it already)."""
        staged = Built(name, self.lake.location(name), staging(self.lake, self.summary.run_id, name), view)
        self.lake.storage.make_folder(staged.directory)
        self.built.append(staged)
        return staged

    def _write(self, name: str, sql: str, directory: str, cluster: tuple[str, int] | None = None,
               order: tuple[str, ...] = ()) -> "Written":
        self.lake.storage.make_folder(directory.rsplit("/", 1)[0])  # an empty write before may have removed it
        written = self.engine.write_parquet(name, sql, self.lake.storage.path(directory), cluster, order)
        return self._kept(written, directory)

    def _cluster(self, table: str) -> tuple[str, int] | None:
        """How a full build writes a table: on very large lakes, its rows in files by customer, one
        per 16 GiB of landing (up to 64), so that a forget rewrites a few files rather than the
        table. Below that, plain files: hash-partitioned writes cost a full run at 10 M readings
        2.5 s of its 15 (docs/benchmarks.md, issue 12), while a forget that rewrites each table
        whole still takes under a full run."""
        if not self.plan.full:
            return None
        landing = sum(e.size for entries in self.plan.listed.values() for e in entries)
        buckets = min(MAX_CLUSTERS, landing // CLUSTER_BYTES)
        return (CUSTOMER_COLUMN[table], buckets) if buckets > 1 and table in CUSTOMER_COLUMN else None

    def _write_rows(self, name: str, columns: dict[str, str], rows: list[dict[str, object]], directory: str) -> "Written":
        self.lake.storage.make_folder(directory.rsplit("/", 1)[0])
        return self._kept(self.engine.write_rows(name, columns, rows, self.lake.storage.path(directory)), directory)

    def _kept(self, written: "Written", directory: str) -> "Written":
        """What the engine wrote, less the empty file an empty result leaves: its folder holds
        nothing else then (in S3 DuckDB also writes a marker object for the folder)."""
        if written.empty:
            self.lake.storage.delete_tree(directory)
            # The run's folder of the table, if nothing else is in it (in S3, the marker that
            # deleting a prefix's last object leaves).
            self.lake.storage.remove_empty_folder(directory.rsplit("/", 1)[0])
        return written


# The column that names a table's customer, for clustering its files.
CUSTOMER_COLUMN = {
    "customer_accepted": "email", "accelerometer_accepted": "user", "step_trainer_accepted": "serialnumber",
    "customer_trusted": "email", "customer_curated": "email", "accelerometer_trusted": "user",
    "step_trainer_trusted": "serialnumber", "machine_learning_curated": "customer_key",
}
CLUSTER_BYTES, MAX_CLUSTERS = 16 << 30, 64


def staging(lake: "Lake", run_id: str, name: str) -> str:
    return f"{lake.table_folder(name)}/data/run-{run_id}"


def _model_sql(name: str) -> str:
    from stedi.models import model

    return model(name).sql
