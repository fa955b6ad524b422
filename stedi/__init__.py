"""The STEDI lakehouse: raw Step Trainer data into privacy-safe, query-ready Iceberg tables.

The public API is what `stedi.__all__` names:

- `Lakehouse(path)`: a lake (a local folder or s3://bucket/prefix). Read it: `table(name)`,
  `query(sql, params)`, `connect()` (a DuckDB connection of your own), `split(table)`, `as_of(when)`,
  `tables()`; write it: `ingest`, `run`, `maintain`, `forget`. docs/python-api.md shows each.
- `StediError`: every error the API raises about your input or your lake, in one line saying
  what to do; its subclasses are the ones worth catching apart: `LakeBusyError` (another writer
  holds the lake; pass `wait=` seconds), `NotALakeError`, `MovedLakeError`, `UsageError` (an
  argument that cannot be what it names), `InputError`.

Everything else, every subpackage (stedi.pipeline, stedi.store, stedi.engines, ...) included, is
internal: it changes without notice.
"""

from stedi.errors import InputError, LakeBusyError, MovedLakeError, NotALakeError, StediError, UsageError
from stedi.forget import finish as _registers_the_erasure_finishing_step  # noqa: F401 (see its last line)
from stedi.lakehouse import Lakehouse

del _registers_the_erasure_finishing_step  # imported for what importing it does, not a name of the API

__all__ = ["Lakehouse", "StediError", "LakeBusyError", "NotALakeError", "MovedLakeError", "UsageError", "InputError"]
__version__ = "0.1.0"
