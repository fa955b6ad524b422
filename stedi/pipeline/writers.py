"""Every writer's way into the lake: the writer transaction (stedi/commit/transaction.py), given
the finishing steps a committed writer may leave for the next one.

The commit package sits below the writers, so it cannot know what finishing a writer means; a
journal only names the step (`finish`). The steps are wired here, once: `stedi run`, `forget`,
`maintain`, `ingest` and `report` all open their transaction through `writing`, so whichever
writes next finishes a forget that stopped after its commit point, first. A journal naming a step
not wired here stops the writer loudly (stedi/commit/recover.py); nothing is skipped.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable, Mapping

from stedi.commit import transaction
from stedi.commit.recover import Finisher
from stedi.commit.transaction import WriterTransaction
from stedi.forget.finish import FINISH, finish_pending
from stedi.lake import Lake

# Journal `finish` name -> the step that finishes it.
FINISHERS: Mapping[str, Finisher] = {FINISH: finish_pending}


def writing(lake: Lake, command: str, wait: float | None = None,
            say: Callable[[str], None] | None = None) -> AbstractContextManager[WriterTransaction]:
    """Hold the lake's writer lock for `command` (e.g. "run"), with what a dead writer left settled
    and a committed one's remains finished; `wait`: seconds to wait for another writer (None: fail
    at once, naming it). Yields the transaction the writer stages its changes in."""
    return transaction.writing(lake, command, wait, say, FINISHERS)
