"""The one rewrite of landing: every landing file without a forgotten person's lines, undoably.

    plan_rewrites   stage each file that holds a line of theirs, without it (and each mention
                    of them in another's line replaced: stedi/forget/person.py), under
                    forget-<run_id>/staged/ (outside <source>/landing/, where runs read *.json)
    swap            keep each original under forget-<run_id>/originals/, put the staged file in its place
    restore         undo swap (before the commit point): originals back, forget-<run_id>/ deleted
    discard         after the commit point: forget-<run_id>/ deleted, backups with it

The swap is the writer transaction's second kind of staged change, whole files replaced
(stedi/commit/aside.py, which has the crash-safety argument): a forget replaces each file through
its transaction, whose journal names forget-<run_id>/originals/ as the folder of the originals,
so rolling the forget back puts them back before the journal's folders are deleted (deleting
the folder first would delete the backups: the forget would stay half done). `swap` and
`restore` do the same outside a transaction. Once state.json names the run (the commit point),
`restore` must never run (it would bring the person's lines back): `discard`, or deleting the
journal's folders as settling a completed run does, is then right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Iterator

from stedi.commit.aside import kept_aside_path, put_back, replace
from stedi.errors import StediError
from stedi.forget.person import Matcher, Person, matcher

if TYPE_CHECKING:
    from stedi.lake import Lake
    from stedi.storage import Storage

Say = Callable[[str], None]
BLOCK = 1 << 20


def forget_folder(run_id: str) -> str:
    """The lake-relative folder of a forget run's staged files and backups (for the journal)."""
    return f"forget-{run_id}"


def staged_path(run_id: str, relative: str) -> str:
    return f"{forget_folder(run_id)}/staged/{relative}"


def originals_folder(run_id: str) -> str:
    """Where a forget keeps the originals of the files it replaces (for the journal)."""
    return f"{forget_folder(run_id)}/originals"


def backup_path(run_id: str, relative: str) -> str:
    return kept_aside_path(originals_folder(run_id), relative)


@dataclass(frozen=True)
class Rewrite:
    """One landing file that loses the person's lines or their mentions. `removed`: the old
    1-based numbers of the lines that go, ascending; `redacted`: old line number -> the line
    with the mentions replaced."""

    relative: str  # e.g. "customer/landing/customer-1.json"
    source: str
    lines_removed: int
    removed: tuple[int, ...]
    lines_before: int
    redacted: dict[int, bytes] = field(default_factory=dict)
    values_redacted: int = 0  # mentions replaced (a line may hold several)
    owners: frozenset[str] = frozenset()  # the identifying values of the removed lines, as spelled


def plan_rewrites(lake: "Lake", person_or_people: Person | Iterable[Person], say: Say, run_id: str) -> list[Rewrite]:
    """Scan every landing file of every source (streamed) and stage the rewrite of each file
    holding a line of the person(s); landing itself is not touched. A file losing every line
    is staged empty, not dropped: the next run then sees it changed (a vanished file looks
    like a lake that lost a delivery). On failure the staged files are deleted."""
    match = matcher(person_or_people)
    storage = lake.storage
    rewrites: list[Rewrite] = []
    try:
        for source in lake.sources:
            files = lake.landing_files(source)
            size = sum(e.size for e in files)
            say(f"forget: scanning {source} landing ({len(files)} files, {size / 1e6:.1f} MB)")
            changed = 0
            for entry in files:
                rewrite = _scan(storage, source, entry.relative, match)
                if rewrite is not None:
                    _stage(storage, rewrite, staged_path(run_id, entry.relative))
                    rewrites.append(rewrite)
                    changed += 1
            mine = [r for r in rewrites if r.source == source]
            removed, redacted = sum(r.lines_removed for r in mine), sum(r.values_redacted for r in mine)
            say(f"forget: {source}: {len(files)} files scanned, {removed} lines removed from {changed} files"
                + (f"; {redacted} mentions of them redacted in other lines" if redacted else ""))
    except BaseException:
        storage.delete_tree(f"{forget_folder(run_id)}/staged")
        raise
    return rewrites


def swap(lake: "Lake", rewrites: Iterable[Rewrite], run_id: str) -> None:
    """Put every staged file in place, keeping each original as a backup first."""
    for rewrite in rewrites:
        replace(lake.storage, rewrite.relative, staged_path(run_id, rewrite.relative), originals_folder(run_id))


@dataclass(frozen=True)
class Quotes:
    """Files the lake keeps besides landing that may quote a person's lines, e.g. the run reports
    (stedi/report/scrub.py, which `Lakehouse.forget` passes): the forget itself knows none of
    them. `find(lake, people)`: each file that quotes them, as it must become (lake-relative path
    -> text); `noun`: what they are, for the user (a run report)."""

    noun: str
    find: "Callable[[Lake, list[Person]], dict[str, str]]"


def plan_quote_scrubs(lake: "Lake", people: Iterable[Person], say: Say, run_id: str,
                      quotes: Iterable[Quotes] = ()) -> list[Rewrite]:
    """Stage each file that quotes a line of theirs, rewritten without it (swapped in with the
    landing files, undone with them)."""
    staged = []
    for kind in quotes:
        found = kind.find(lake, list(people))
        for relative, text in found.items():
            lake.storage.write_atomic(staged_path(run_id, relative), text)
            staged.append(Rewrite(relative, "report", 0, (), 0))
        if found:
            say(f"erasing them from {len(found)} {kind.noun}(s)")
    return staged


def restore(lake: "Lake", run_id: str) -> None:
    """Undo `swap`, wherever it stopped: every backup moved back over its landing path, then
    forget-<run_id>/ deleted. Idempotent. Only before the commit point."""
    put_back(lake.storage, originals_folder(run_id))
    lake.storage.delete_tree(forget_folder(run_id))


def discard(lake: "Lake", run_id: str) -> None:
    """After the commit point: the backups (the person's lines) and the staging folder go."""
    lake.storage.delete_tree(forget_folder(run_id))


def lines(fh: BinaryIO) -> Iterator[bytes]:
    """A stream's lines, each with its b"\\n" (the last may lack it), read a block at a time."""
    pending: list[bytes] = []
    for block in iter(lambda: fh.read(BLOCK), b""):
        start = 0
        while (end := block.find(b"\n", start)) != -1:
            if pending:
                pending.append(block[start:end + 1])
                yield b"".join(pending)
                pending = []
            else:
                yield block[start:end + 1]
            start = end + 1
        if start < len(block):
            pending.append(block[start:])
    if pending:
        yield b"".join(pending)


def _scan(storage: "Storage", source: str, relative: str, match: Matcher) -> Rewrite | None:
    """The person's lines in one file, and the mentions of them in other lines; None where the
    file has neither. Line 1 keeps a byte order mark as part of its bytes: the lake's readers
    count the mark as part of line 1 (and quarantine that line with it), so a removed line 1
    takes the mark along; kept, the mark would turn the next customer's valid line into a
    quarantined one."""
    removed: list[int] = []
    redacted: dict[int, bytes] = {}
    owners: set[str] = set()
    values = 0
    count, pending = 0, b""

    def judge(number: int, line: bytes) -> None:
        nonlocal values
        verdict = match.verdict(source, line)
        if verdict is None:
            return
        if verdict.owner is not None:
            removed.append(number)
            owners.add(verdict.owner)
        else:
            redacted[number] = verdict.line
            values += verdict.redacted

    with storage.open_input(relative) as fh:
        # Whole lines a block at a time; only blocks holding a clue are looked at line by line,
        # so scanning a landing zone costs about what reading it does.
        for block in iter(lambda: fh.read(BLOCK), b""):
            data = pending + block
            cut = data.rfind(b"\n") + 1
            complete, pending = data[:cut], data[cut:]
            if match.may_hold(complete.lower()):
                for line in complete[:-1].split(b"\n"):
                    count += 1
                    judge(count, line + b"\n")
            else:
                count += complete.count(b"\n")
        if pending:
            count += 1
            if match.may_hold(pending.lower()):
                judge(count, pending)
    if not removed and not redacted:
        return None
    return Rewrite(relative, source, len(removed), tuple(removed), count, redacted, values, frozenset(owners))


def _stage(storage: "Storage", rewrite: Rewrite, target: str) -> None:
    """Write the file without the removed lines and with the redacted ones, byte for byte
    otherwise (a second pass: only files with a line to change are written)."""
    removed, count = set(rewrite.removed), 0
    with storage.open_input(rewrite.relative) as fh, storage.open_output(target) as out:
        for count, line in enumerate(lines(fh), start=1):
            if count not in removed:
                out.write(rewrite.redacted.get(count, line))
        if count != rewrite.lines_before:
            raise StediError(f"{storage.path(rewrite.relative)}: changed while it was being rewritten")
