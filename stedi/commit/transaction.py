"""The writer transaction: the one way any writer (`run`, `forget`, `maintain`, `ingest`) changes the lake.

In order, each step its own method, so no writer repeats the frame:

1. `writing`: take the lake's writer lock, then settle what a dead writer left (stedi/commit/
   recover.py): roll it back, or, where it was committed, finish what its journal says is left.
   A writer that stages nothing (ingest, maintain) uses only this, and lets go of the lock.
2. `begin`: the journal, before the writer's first file, names every folder it writes into and
   the folder where it keeps the originals of the files it replaces.
3. Staged changes, of exactly two kinds: whole files replaced (`replace_file`: the original kept
   aside first, stedi/commit/aside.py) and table commits (`before_commits` writes each changing
   table's metadata before into the journal; `commit_table` commits one).
4. `commit_point`: the conditional `state.json` write that makes every commit visible at once,
   only over the state the writer started from (`last_state`).
5. `tidy_up` deletes the journal; or, where anything in `changing` failed, `_failed` undoes the
   writer's own commits (Journal.committed/in_flight), puts the replaced files back, and says what
   happened in one line (a fault of AWS: stedi/aws/faults.py). After the commit point a failure is
   no longer the writer's failure: the caller's `after_commit` decides (a warning; a Ctrl-C says
   the writer is committed).

Before each journal write, table commit, state write and roll-back the transaction confirms
its lock (`still_writing`): a writer whose lock another writer took over changes nothing and
undoes nothing, and stops with LockLostError.

Finishing steps. A committed writer may leave work the next writer must do before anything
else (a forget's older snapshots, which still hold its people). Its journal names the step
(`finish`); the code that opens the transaction passes the steps by name (`finishers`). This
package stays below the writers that define them: they are wired once, in stedi/pipeline/
writers.py, and a journal naming a step the writer was not given stops it loudly.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping, Protocol, TypeVar

from stedi.aws.faults import aws_failure, not_committed
from stedi.commit.aside import replace
from stedi.commit.journal import JOURNAL_FILE, Journal
from stedi.commit.lock import still_writing
from stedi.commit.recover import Finisher, recover, settle
from stedi.commit.state import LakeState, UnreadableStateError
from stedi.errors import ChangedMeanwhileError, LockLostError, StediError, one_line
from stedi.interrupts import check
from stedi.lake import Lake

Say = Callable[[str], None]


class Committed(Protocol):
    """What a table commit answers (stedi/store/iceberg_store.py's)."""

    metadata_location: str


CommitT = TypeVar("CommitT", bound=Committed)


def _quiet(message: str) -> None:
    pass


_UNREAD = object()  # the writer has not read the state it builds on (`last_state`)


@contextmanager
def writing(lake: Lake, command: str, wait: float | None = None, say: Say | None = None,
            finishers: Mapping[str, Finisher] | None = None) -> Iterator["WriterTransaction"]:
    """Hold the lake's writer lock for `command` (e.g. "run"); `wait`: seconds to wait for another
    writer (None: fail at once, with who holds it since when). Everything the writer creates is
    private where the medium has modes (stedi/storage/modes.py). Meanwhile `lake.writer_lock` is
    the lock, for `still_writing` (stedi/commit/lock.py). `finishers`: the finishing steps a
    committed writer's journal may name, by name (default: those registered, stedi/commit/recover.py)."""
    say = say or _quiet
    with lake.storage.writer_lock(command).acquire(wait, say) as lock, lake.storage.owner_only(say):
        lake.writer_lock = lock
        try:
            recover(lake, say, finishers)
            yield WriterTransaction(lake, say)
        finally:
            lake.writer_lock = None


class WriterTransaction:
    """One writer's change of the lake, under its lock (made by `writing`)."""

    def __init__(self, lake: Lake, say: Say):
        self.lake, self.say = lake, say
        self.journal: Journal | None = None
        self.what = ""  # the writer, as its messages name it: "run ID", "erasure ID"
        # The version of state.json the writer builds on (None: there was none), once read.
        self._started_from: str | None | object = _UNREAD

    # -- 2. the journal --------------------------------------------------------------------

    def last_state(self) -> LakeState:
        """The state this writer builds on, and the only one its commit point replaces; an
        unreadable one is set aside (every table is committed anew)."""
        try:
            state = self.lake.state() or LakeState()
        except UnreadableStateError as e:
            self.say(f"{e}: setting it aside")
            state = LakeState(version=e.version)  # replaced by this writer's state, if still the same
        self._started_from = state.version
        return state

    def begin(self, run_id: str, folders: Mapping[str, str], kept_aside: str | None = None,
              noun: str = "run") -> Journal:
        """Before the writer writes any file, the journal says where: a kill from here on is undone.
        `kept_aside`: where the originals of the files it replaces whole go."""
        self.journal = Journal(run_id, dict(folders), kept_aside=kept_aside)
        self.what = f"{noun} {run_id}"
        self._write_journal()
        return self.journal

    def _write_journal(self) -> None:
        assert self.journal is not None
        still_writing(self.lake)
        self.journal.write(self.lake.storage)

    # -- 3. staged changes -----------------------------------------------------------------

    def replace_file(self, relative: str, staged: str) -> None:
        """Put a staged file in place of a file of the lake; an undo puts the original back."""
        assert self.journal is not None and self.journal.kept_aside, "begin() names where originals go"
        replace(self.lake.storage, relative, staged, self.journal.kept_aside)

    def before_commits(self, previous: dict[str, str | None] | None, finish: str | None = None) -> None:
        """The journal again, before the first table commit: each changing table's metadata before
        (None: the writer creates the table), and the finishing step the writer leaves once
        committed, if any."""
        assert self.journal is not None
        self.journal.previous = previous
        self.journal.finish = finish
        self._write_journal()

    def commit_table(self, name: str, commit: Callable[[], CommitT]) -> CommitT:
        """Commit one table (`commit`): said first, and not done if a Ctrl-C was lost on its way
        (stedi/interrupts.py) or the lock was taken over (a writer stopped past its lease)."""
        assert self.journal is not None
        self.say(f"committing {name}")
        check()
        still_writing(self.lake)
        self.journal.in_flight = name
        done = commit()
        self.journal.committed[name], self.journal.in_flight = done.metadata_location, None
        return done

    # -- 4. the commit point ---------------------------------------------------------------

    def commit_point(self, state: LakeState, announce: bool = True,
                     stamp: Callable[[int], None] | None = None) -> None:
        """Replace `state.json` by `state`, only over the state the writer started from: the
        moment every commit becomes visible. `stamp`: told the time (epoch ms) just before."""
        assert self._started_from is not _UNREAD, "last_state() reads the state the commit point replaces"
        if announce:
            self.say("making the run visible")
        check()
        still_writing(self.lake)
        if stamp is not None:
            stamp(int(time.time() * 1000))
        try:
            state.write(self.lake.storage, replacing=self._started_from)
        except ChangedMeanwhileError:
            still_writing(self.lake)  # changed by a writer that took our lock over: say that
            raise

    def is_committed(self) -> bool:
        """Whether the lake's state names this writer (it passed its commit point)."""
        assert self.journal is not None
        return _named_by_state(self.lake, self.journal.run_id)

    # -- 5. tidy-up, or undo ---------------------------------------------------------------

    def tidy_up(self, warn: Say) -> None:
        """The committed writer's journal goes; a failure is a warning (the next writer finds the
        writer committed and only tidies up)."""
        try:
            Journal.delete(self.lake.storage)
        except Exception as e:  # noqa: BLE001 - committed: the next writer deletes it
            warn(f"could not delete {self.lake.storage.path(JOURNAL_FILE)} "
                 f"({getattr(e, 'strerror', None) or one_line(e)}); the next writer does")

    @contextmanager
    def changing(self, after_commit: Callable[[BaseException], BaseException | None]) -> Iterator[None]:
        """The writer's staged changes and commit point. Whatever fails in it is undone (or, where
        the state names the writer already, only tidied up: its journal stays where it names a
        finishing step, for the next writer). After the commit point `after_commit(error)` says
        what to raise, or None to go on (the failure was said as a warning)."""
        try:
            yield
        except BaseException as e:
            self._failed(e, after_commit)

    def _failed(self, error: BaseException, after_commit: Callable[[BaseException], BaseException | None]) -> None:
        assert self.journal is not None
        if isinstance(error, LockLostError):
            raise lost(error, self.journal.run_id) from None
        if not (self.journal.finish and self.is_committed()):
            fault = aws_failure(error)  # read before _undo clears the failed work's frames
            committed, rolled_back = _undo(self.lake, self.journal, error, self.say, quiet=fault is not None)
            if not committed:
                if fault is None:
                    raise error
                raise not_committed(fault, self.what, rolled_back) from None
        outcome = after_commit(error)
        if outcome is not None:
            raise outcome from None


def _undo(lake: Lake, journal: Journal, error: BaseException, say: Say, quiet: bool = False) -> tuple[bool, bool]:
    """Roll this writer back in place (unless it already became visible: then only tidy up); where
    that fails too, the journal stays for the next writer (said, unless `quiet`: the caller says
    it). Whether the writer is committed (the lake's state names it), and whether it was settled."""
    import gc
    import traceback

    # What the failed work still holds goes first: a commit interrupted mid-transaction can keep
    # the SQLite catalog's write lock through the objects its finished frames reference.
    traceback.clear_frames(error.__traceback__)
    lake.catalog.close()
    gc.collect()
    lost_lock = None
    settled = True
    try:
        settle(lake, journal, own=True)
    except LockLostError as e:  # another writer took over: it settles this run, not us
        lost_lock = e
    except BaseException as e:  # noqa: BLE001 - the run's own error is the one to report
        settled = False
        if not quiet:
            say(f"could not roll back run {journal.run_id} ({e}); the next writer will")
    committed = _named_by_state(lake, journal.run_id)
    if lost_lock is not None and not committed:
        raise lost(lost_lock, journal.run_id) from None  # why the run failed, in the end
    return committed, settled


def lost(error: LockLostError, run_id: str) -> LockLostError:
    """A writer whose lock was taken over: what it did, in the end."""
    return error.outcome(f"run {run_id} committed nothing and rolled nothing back")


def _named_by_state(lake: Lake, run_id: str) -> bool:
    """Whether the lake's state names `run_id` (the writer passed its commit point); an
    unreadable state names no one."""
    try:
        state = LakeState.read(lake.storage)
    except StediError:
        return False
    return state is not None and state.names(run_id)
