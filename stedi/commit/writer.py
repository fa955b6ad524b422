"""The former way into the lake for a writer, kept for its callers: the lock and recovery are the
writer transaction's first step now (stedi/commit/transaction.py). Writers open it through
stedi/pipeline/writers.py, which gives it the finishing steps a committed writer may leave."""

from stedi.commit.transaction import writing

__all__ = ["writing"]
