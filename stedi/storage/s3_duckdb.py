"""How DuckDB reaches a lake in S3: its httpfs extension, from its pip package (nothing is
downloaded at run time), loaded with the session's retries; the credentials come as a secret
(S3Storage.duckdb_refresh)."""

from __future__ import annotations

from pathlib import Path

from stedi.aws.session import session
from stedi.errors import StediError


def httpfs_setup() -> list[str]:
    """Statements that load httpfs into a DuckDB connection, before it is handed credentials.
    Loading httpfs copies AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the
    environment into settings any SQL can read (current_setting): blanked, the secret (redacted
    in duckdb_secrets()) carries the credentials instead."""
    blank = [f"SET {name} = ''" for name in ("s3_access_key_id", "s3_secret_access_key", "s3_session_token")]
    return [f"LOAD {_literal(str(httpfs_extension()))}", *blank, *session().retries.duckdb()]


def httpfs_extension() -> Path:
    """DuckDB's httpfs extension from its pip package (nothing is downloaded at run time)."""
    import duckdb
    import duckdb_extension_httpfs

    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    found = sorted(folder.glob(f"v{duckdb.__version__}/httpfs.duckdb_extension"))
    if not found:
        raise StediError(f"the httpfs extension for DuckDB {duckdb.__version__} is not installed "
                         f"(pip install duckdb-extension-httpfs=={duckdb.__version__})")
    return found[0]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
