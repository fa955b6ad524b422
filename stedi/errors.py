"""Errors a user can act on. The CLI prints them as one line, without a traceback."""

# A progress message that starts so is a warning: the work went on (the CLI shows it as one).
WARNING = "warning: "


class StediError(Exception):
    """A problem with the user's input or lake, described in one actionable line."""


class NotALakeError(StediError):
    pass


class InputError(StediError):
    """Unusable input: a missing folder, an unreadable file, a bad argument."""


class LakeBusyError(StediError):
    """Another writer holds the lake's lock."""


class LockLostError(StediError):
    """Another writer took this writer's lock over (its lease ran out while this one was stopped):
    from then on this writer changes nothing, commits and roll-backs alike."""

    def __init__(self, lake: str, holder: str, outcome: str = "this writer changed nothing more"):
        self.lake, self.holder = lake, holder
        super().__init__(f"{lake}: {holder} took the writer lock over after this writer's lease ran out; "
                         f"{outcome}: the lake is as that writer leaves it")

    def outcome(self, outcome: str) -> "LockLostError":
        """The same loss, saying what it meant for the command that stopped."""
        return LockLostError(self.lake, self.holder, outcome)


class ChangedMeanwhileError(StediError):
    """A file replaced only if unchanged since it was read had been changed meanwhile."""


class MovedLakeError(StediError):
    """The lake's tables name another folder: the lake was moved or copied."""


class UsageError(StediError):
    """An argument that cannot be what it names (e.g. an email that is not one): the CLI exits 2."""


def one_line(error: BaseException) -> str:
    """An error in its own words, in one line: an OSError's file and reason; else its first line
    (its type where it has no words)."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
