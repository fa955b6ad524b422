"""Errors a user can act on. The CLI prints them as one line, without a traceback."""


class StediError(Exception):
    """A problem with the user's input or lake, described in one actionable line."""


class NotALakeError(StediError):
    pass


class InputError(StediError):
    """Unusable input: a missing folder, an unreadable file, a bad argument."""
