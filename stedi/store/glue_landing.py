"""A lake's landing zones as external JSON tables in the Glue Data Catalog, where Athena reads
them: what GlueCatalog.register_landing writes and compares (`stedi ddl` renders the same
tables as CREATE EXTERNAL TABLE statements, stedi/ddl/athena.py)."""

from __future__ import annotations

from typing import Any

from stedi.store.catalog import LandingTable

# A landing zone's external table, as Athena's CREATE EXTERNAL TABLE ... ROW FORMAT SERDE records it
# (`stedi ddl` renders the same statement): JSON keys as delivered, columns lowercased; a line that
# is not JSON (cut short, say) is a row of NULLs instead of failing the query (without it, Trino
# and so Athena fail on such a line).
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
JSON_SERDE_PROPERTIES = {"case.insensitive": "true", "ignore.malformed.json": "true"}
JSON_TABLE_PROPERTIES = {"classification": "json"}
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def landing_input(table: LandingTable) -> dict[str, Any]:
    """A landing zone's Glue table: what Athena records for `stedi ddl`'s CREATE EXTERNAL TABLE."""
    return {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {**JSON_TABLE_PROPERTIES, "EXTERNAL": "TRUE"},
        "StorageDescriptor": {
            "Columns": [{"Name": name, "Type": kind, **({"Comment": table.docs[name]} if name in table.docs else {})}
                        for name, kind in table.columns],
            "Location": table.location,
            "InputFormat": TEXT_INPUT_FORMAT,
            "OutputFormat": TEXT_OUTPUT_FORMAT,
            "SerdeInfo": {"SerializationLibrary": JSON_SERDE, "Parameters": dict(JSON_SERDE_PROPERTIES)},
        },
    }


def landing_definition(table: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Glue table that register_landing sets (Glue adds others of its own)."""
    storage = table.get("StorageDescriptor", {})
    return {
        "TableType": table.get("TableType"),
        "Parameters": table.get("Parameters", {}),
        "Columns": [(c.get("Name"), c.get("Type"), c.get("Comment")) for c in storage.get("Columns", [])],
        "Location": storage.get("Location"),
        "InputFormat": storage.get("InputFormat"),
        "OutputFormat": storage.get("OutputFormat"),
        "SerdeLibrary": storage.get("SerdeInfo", {}).get("SerializationLibrary"),
        "SerdeParameters": storage.get("SerdeInfo", {}).get("Parameters", {}),
    }
