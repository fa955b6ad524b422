"""Errors a user can act on. The CLI prints them as one line, without a traceback."""


class StediError(Exception):
    """A problem with the user's input or lake, described in one actionable line."""


class NotALakeError(StediError):
    pass


class InputError(StediError):
    """Unusable input: a missing folder, an unreadable file, a bad argument."""


class LakeBusyError(StediError):
    """Another writer holds the lake's lock."""


class MovedLakeError(StediError):
    """The lake's tables name another folder: the lake was moved or copied."""


class UsageError(StediError):
    """An argument that cannot be what it names (e.g. an email that is not one): the CLI exits 2."""
