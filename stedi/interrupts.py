"""Ctrl-C during a command, also where DuckDB reports it as its own error; after a run's commit
point, said as such (the run is committed: only its tidy-up was cut short)."""

from __future__ import annotations


def is_interrupt(error: BaseException | None) -> bool:
    """Ctrl-C, also where DuckDB turned it into its own error (chained to the KeyboardInterrupt,
    or "Query interrupted" alone)."""
    while error is not None:
        if isinstance(error, KeyboardInterrupt) or type(error).__name__ == "InterruptException":
            return True
        if isinstance(error, RuntimeError) and str(error) == "Query interrupted":
            return True
        error = error.__cause__ or error.__context__
    return False


class CommittedInterrupt(KeyboardInterrupt):
    """Ctrl-C after a run's commit point: the run is committed (its tables are visible); only
    what follows it (its record, retention, its report) was cut short."""

    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return (f"interrupted after the commit point: run {self.run_id} is committed and its tables are visible "
                f"(the next run finishes its tidy-up; `stedi report {self.run_id}` writes its report)")
