"""The AWS Glue Data Catalog as the Iceberg catalog of a lake in S3.

One Glue database holds one lake's tables: its Iceberg tables (written by pyiceberg's Glue
catalog, read by Athena) and its landing zones as external JSON tables. The database
records which lake it belongs to in its Parameters, so a second lake configured with the
same database is refused instead of reading, or rolling back, the first lake's tables.

Rolling a table back is a compare-and-set on its `metadata_location` parameter, guarded by
the Glue table's VersionId as a pyiceberg commit is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from stedi.aws.faults import explain

from stedi.aws.session import session
from stedi.errors import StediError
from stedi.storage.s3 import S3Storage
from stedi.store.catalog import CREATED, UNCHANGED, UPDATED, CatalogAccess, LandingTable
from stedi.store.glue_landing import landing_definition, landing_input

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CATALOG = "stedi"
LAKE_PARAMETER = "stedi.lake"  # the database parameter naming the lake that owns it
METADATA_LOCATION = "metadata_location"
PREVIOUS_METADATA_LOCATION = "previous_metadata_location"
# The keys of a GetTable answer that UpdateTable accepts back as TableInput.
TABLE_INPUT_KEYS = ("Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
                    "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType",
                    "Parameters", "TargetTable")
DATABASE_INPUT_KEYS = ("Name", "Description", "LocationUri", "Parameters", "CreateTableDefaultPermissions",
                       "TargetDatabase", "FederatedDatabase")


class GlueCatalog(CatalogAccess):
    keeps_landing = True  # Athena reads this catalog: the landing zones belong in it

    def __init__(self, database: str, lake_uri: str):
        self.database, self.lake_uri = database, lake_uri.rstrip("/")
        self.namespace = database
        self._catalog: Catalog | None = None
        self._owned = False  # ensure_database() succeeded: this process may write here

    def describe(self) -> str:
        return f"Glue database {self.database}"

    def pyiceberg(self) -> "Catalog":
        region = S3Storage.parse(self.lake_uri).region
        if self._catalog is None:
            from pyiceberg.catalog.glue import GlueCatalog as PyIcebergGlueCatalog

            self.ensure_database()
            # No warehouse: the store creates every table at an explicit location in the lake.
            # The session's Glue client: its credentials renew themselves, and it retries.
            self._catalog = PyIcebergGlueCatalog(CATALOG, client=session().client("glue"),
                                                 **session().pyiceberg_properties(region))
        else:  # pyiceberg makes each table's S3 filesystem from these: the current credentials
            self._catalog.properties.update(session().pyiceberg_properties(region))
        return self._catalog

    # -- the database and who owns it ---------------------------------------------------

    def ensure_database(self, dry_run: bool = False) -> str:
        """Create the lake's database, or check that an existing one is this lake's (adopting
        an empty one). Writers call this before touching a table. Returns what it did (or with
        `dry_run`, would do, changing nothing): created, updated (adopted) or unchanged."""
        if self._owned:
            return UNCHANGED
        database, done = self._get_database(), UNCHANGED
        if database is None:
            if dry_run:
                return CREATED
            try:
                self._glue(lambda glue: glue.create_database(DatabaseInput={
                    "Name": self.database, "Description": self._description(),
                    "Parameters": {LAKE_PARAMETER: self.lake_uri}}))
                done = CREATED
            except _AlreadyExists:  # another writer made it just now: check whose it is
                database = self._get_database()
        if database is not None:
            owner = self._check_owner(database)
            if owner is None:
                done = UPDATED
                self._adopt(database, dry_run)
        if not dry_run:
            self._owned = True
        return done

    def _get_database(self) -> dict[str, Any] | None:
        try:
            return self._glue(lambda glue: glue.get_database(Name=self.database))["Database"]
        except _NotFound:
            return None

    def _check_owner(self, database: dict[str, Any]) -> str | None:
        """The lake named in the database (None: no lake's); refuses another lake's."""
        owner = database.get("Parameters", {}).get(LAKE_PARAMETER)
        if owner is not None and owner.rstrip("/") != self.lake_uri:
            raise StediError(f"Glue database {self.database} already holds the tables of lake {owner}; choose "
                             f"another database for {self.lake_uri} with the glue_database setting "
                             "(STEDI_GLUE_DATABASE or stedi.toml)")
        return owner

    def _adopt(self, database: dict[str, Any], dry_run: bool) -> None:
        # Only an empty database: tables already there belong to something else.
        tables = self._glue(lambda glue: glue.get_tables(DatabaseName=self.database, MaxResults=1))
        if tables.get("TableList"):
            raise StediError(f"Glue database {self.database} already holds tables of no STEDI lake; choose "
                             f"another database for {self.lake_uri} with the glue_database setting "
                             "(STEDI_GLUE_DATABASE or stedi.toml)")
        update = {k: database[k] for k in DATABASE_INPUT_KEYS if k in database}
        update["Parameters"] = {**database.get("Parameters", {}), LAKE_PARAMETER: self.lake_uri}
        update.setdefault("Description", self._description())
        if not dry_run:
            self._glue(lambda glue: glue.update_database(Name=self.database, DatabaseInput=update))

    def _description(self) -> str:
        return f"Tables of the STEDI lake at {self.lake_uri} (Iceberg tables, landing zones as JSON tables)"

    # -- Iceberg tables ------------------------------------------------------------------

    def metadata_locations(self, write: bool = True) -> dict[str, str]:
        if write:
            self.ensure_database()
        else:  # a reader creates nothing; a database no lake has claimed holds none of ours
            database = self._get_database()
            if database is None or self._check_owner(database) is None:
                return {}

        def iceberg_tables(glue: Any) -> dict[str, str]:
            found = {}
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=self.database):
                for table in page.get("TableList", []):
                    parameters = table.get("Parameters", {})
                    if parameters.get("table_type", "").lower() == "iceberg" and METADATA_LOCATION in parameters:
                        found[table["Name"]] = parameters[METADATA_LOCATION]
            return found

        try:
            return self._glue(iceberg_tables)
        except _NotFound:  # dropped since
            return {}

    def set_metadata_location(self, table: str, expected: str, new: str | None) -> bool:
        try:
            current = self._glue(lambda glue: glue.get_table(DatabaseName=self.database, Name=table))["Table"]
        except _NotFound:
            return False
        parameters = current.get("Parameters", {})
        if parameters.get(METADATA_LOCATION) != expected:
            return False
        try:
            if new is None:
                # Glue's DeleteTable takes no VersionId: a commit landing between the read above
                # and this is lost with the table (writers hold the lake's lock, so none should).
                self._glue(lambda glue: glue.delete_table(DatabaseName=self.database, Name=table))
                return True
            update = {k: current[k] for k in TABLE_INPUT_KEYS if k in current}
            update.update(_restored_input(table, current, expected, new))
            # VersionId makes Glue refuse the update if the table changed since it was read;
            # SkipArchive as pyiceberg's commits do, so rollbacks add no table versions either.
            version = {"VersionId": current["VersionId"]} if "VersionId" in current else {}
            self._glue(lambda glue: glue.update_table(DatabaseName=self.database, TableInput=update,
                                                      SkipArchive=True, **version))
            return True
        except (_NotFound, _ConcurrentModification):
            return False

    # -- landing zones, for Athena -------------------------------------------------------

    def register_landing(self, tables: list[LandingTable], dry_run: bool = False) -> dict[str, str]:
        database = self.ensure_database(dry_run)
        done: dict[str, str] = {}
        for table in tables:
            wanted = landing_input(table)
            # A database just made (or in a dry run, yet to be made) holds no table.
            current = None if database == CREATED else self._landing_table(table.name)
            if current is None:
                if dry_run:
                    done[table.name] = CREATED
                    continue
                try:
                    self._glue(lambda glue: glue.create_table(DatabaseName=self.database, TableInput=wanted))
                    done[table.name] = CREATED
                    continue
                except _AlreadyExists:  # made just now by another writer: compare with that
                    current = self._landing_table(table.name)
            done[table.name] = UNCHANGED
            if landing_definition(current) != landing_definition(wanted):
                if not dry_run:
                    self._glue(lambda glue: glue.update_table(DatabaseName=self.database, TableInput=wanted))
                done[table.name] = UPDATED
        return done

    def _landing_table(self, name: str) -> dict[str, Any] | None:
        try:
            return self._glue(lambda glue: glue.get_table(DatabaseName=self.database, Name=name))["Table"]
        except _NotFound:
            return None

    # -- Glue calls ----------------------------------------------------------------------

    def _glue(self, action: Callable[[Any], Any]) -> Any:
        """Run a Glue call; the few expected refusals as exceptions of their own, every other
        failure as one line naming the database (never a credential: see explain)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action(session().client("glue"))
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            expected = {"EntityNotFoundException": _NotFound, "AlreadyExistsException": _AlreadyExists,
                        "ConcurrentModificationException": _ConcurrentModification}.get(code)
            if expected:
                raise expected() from None
            raise explain(e, self.describe()) from None
        except BotoCoreError as e:
            raise explain(e, self.describe()) from None


def _restored_input(table: str, current: dict[str, Any], expected: str, new: str) -> dict[str, Any]:
    """What a pyiceberg commit of metadata `new` sets in the Glue table (its columns, location,
    and the table properties it copies into Parameters), for a table now at `expected`:
    Athena reads the columns from Glue, so a roll-back restores them with the metadata."""
    from pyiceberg.catalog.glue import _construct_table_input
    from pyiceberg.table import StaticTable

    properties = session().pyiceberg_properties()

    def metadata(location: str) -> Any:
        try:
            return StaticTable.from_metadata(location, properties).metadata
        except Exception as e:  # a missing or unreadable file: one line naming it
            raise StediError(f"{location}: cannot read this table metadata to roll table {table} back to it "
                             f"({str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})") from None

    restored = metadata(new)
    try:  # the properties the rolled-back commit set go with it (unreadable: none are known)
        dropped = metadata(expected).properties
    except StediError:
        dropped = {}
    parameters = {k: v for k, v in current.get("Parameters", {}).items() if k not in dropped}
    # pyiceberg's own table input, so the columns are exactly those its commits write.
    wanted = _construct_table_input(table, new, restored.properties, restored, glue_table={"Parameters": parameters},
                                    prev_metadata_location=expected)
    restored_input = {"Parameters": wanted["Parameters"],
                      "StorageDescriptor": {**current.get("StorageDescriptor", {}), **wanted["StorageDescriptor"]}}
    if "Description" in wanted:
        restored_input["Description"] = wanted["Description"]
    return restored_input


class _NotFound(Exception):
    pass


class _AlreadyExists(Exception):
    pass


class _ConcurrentModification(Exception):
    pass
