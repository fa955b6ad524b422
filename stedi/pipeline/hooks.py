"""What a run tells whoever follows it: the hook interface of `run` (stedi/pipeline/run.py).

The pipeline knows nothing of what follows it: `stedi run` and `Lakehouse.run` pass the hook
that draws the run's report (stedi/report/hook.py) when the lake's `report` setting is on, and an
API user may pass hooks of their own. A hook is called in the run's own process and order:

    started     the run holds the lake's writer lock and has settled what a dead writer left
    planned     a full run's tables, as it starts committing (incremental runs: not called)
    committed   the run is committed and its retention done; still under the lock, before the
                run's final record (so what a hook notes in the summary is in the record)
    closed      the run ended, committed or not (always, once `started` was called)

After the commit point nothing a hook does can fail the run: an error it raises is a warning
(`run ID is committed; what followed failed`), a Ctrl-C says the run is committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    import pyarrow as pa

    from stedi.commit.state import LakeState
    from stedi.lake import Lake
    from stedi.pipeline.build import Built
    from stedi.pipeline.summary import RunSummary


class RunHook:
    """Follows a run; every method does nothing unless a subclass says otherwise."""

    def started(self, lake: "Lake") -> None:
        """The run begins its work (under the lock)."""

    def planned(self, lake: "Lake", tables: "list[tuple[Built, pa.Schema | None]]", last: "LakeState") -> None:
        """A full run's tables and their columns (None: the table keeps the snapshot it has), as the
        run starts committing them over `last`."""

    def committed(self, lake: "Lake", summary: "RunSummary", say: Callable[[str], None]) -> None:
        """The run is committed, its retention done. `say` keeps the warnings said with the run."""

    def closed(self) -> None:
        """The run ended, committed or not."""


class RunHooks(RunHook):
    """Several hooks as one, called in the order given."""

    def __init__(self, hooks: Iterable[RunHook] = ()):
        self.hooks = list(hooks)

    def started(self, lake: "Lake") -> None:
        for hook in self.hooks:
            hook.started(lake)

    def planned(self, lake: "Lake", tables: "list[tuple[Built, pa.Schema | None]]", last: "LakeState") -> None:
        for hook in self.hooks:
            hook.planned(lake, tables, last)

    def committed(self, lake: "Lake", summary: "RunSummary", say: Callable[[str], None]) -> None:
        for hook in self.hooks:
            hook.committed(lake, summary, say)

    def closed(self) -> None:
        """Every hook is closed, even where one fails (the first failure is raised then)."""
        failed: BaseException | None = None
        for hook in self.hooks:
            try:
                hook.closed()
            except BaseException as e:  # noqa: BLE001 - the others still close
                failed = failed or e
        if failed is not None:
            raise failed
