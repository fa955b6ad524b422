"""The `stedi` command, waiting after each progress line it prints until the test lets it go
(tests only): `python -m tests.commit.paused_cli stedi-arguments...` with STEDI_TEST_GO_FD naming
the read end of a pipe. One byte written to the pipe lets one line go; closing it lets every line
go. So a test that sends a signal before it lets a line go knows the command has not got past
that line: a Ctrl-C sent at "making the run visible" comes before the commit point, whatever
the machine's load."""

from __future__ import annotations

import os
import sys

import stedi.cli.main as cli

_GO = int(os.environ["STEDI_TEST_GO_FD"])
_status = cli._status


def _paused(message: str) -> None:
    _status(message)
    os.read(_GO, 1)  # b"" at once once the test closed its end


if __name__ == "__main__":
    cli._status = _paused
    sys.argv = ["stedi", *sys.argv[1:]]
    cli.entry()
