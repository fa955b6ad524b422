"""The STEDI lakehouse: raw Step Trainer data into privacy-safe, query-ready Iceberg tables."""

from stedi.errors import StediError
from stedi.forget import finish as _registers_the_erasure_finishing_step  # noqa: F401 (see its last line)
from stedi.lakehouse import Lakehouse

__all__ = ["Lakehouse", "StediError"]
__version__ = "0.1.0"
