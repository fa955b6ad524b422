"""Data-quality checks as queries that return the offending rows: zero rows is a pass.

`stedi run` runs the privacy audits on the tables it built, before it commits any of
them: a run whose output breaks a privacy rule commits nothing. Where the model's SQL leaves
an audit only one answer, the run takes it from the SQL instead of reading every row
(stedi/audits/proofs.py); any other model is audited on its rows.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# Checked by every run; any offending row stops the run before its commits.
PRIVACY_AUDITS = (
    "readings_without_consent",
    "machine_learning_crossed_customers",
    "machine_learning_personal_data",
)


@cache
def audit_sql(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
