"""The STEDI lakehouse: raw Step Trainer data into privacy-safe, query-ready Iceberg tables."""

from stedi.errors import StediError
from stedi.lakehouse import Lakehouse

__all__ = ["Lakehouse", "StediError"]
__version__ = "0.1.0"
