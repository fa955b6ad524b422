"""The `stedi` command. Thin: it parses arguments (parser.py), calls the library (commands.py),
formats the output; here: the entry point, where progress lines go, and every error as one line."""

from __future__ import annotations

import sys
from typing import Sequence

from stedi.cli.disk_full import disk_full, writes_into
from stedi.cli.output import say, shown
from stedi.cli.parser import build_parser
from stedi.errors import WARNING, StediError, UsageError
from stedi.interrupts import CommittedInterrupt, catching, is_interrupt

__all__ = ["build_parser", "entry", "main"]


def _status(message: str) -> None:
    # One write with its newline: print() writes the newline apart, and a Ctrl-C between the two
    # left "stedi: interrupted" at the end of the status line.
    if message.startswith(WARNING):  # the work went on, but something the user should know failed
        sys.stderr.write(f"stedi: {shown(message)}\n")
    else:
        sys.stderr.write(f"… {shown(message)}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None, then_ignore_ctrl_c: bool = False) -> int:
    """`then_ignore_ctrl_c`: once the command is done, Ctrl-C is ignored (`entry`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with catching(then_ignore=then_ignore_ctrl_c):  # a Ctrl-C is never lost (stedi/interrupts.py)
            return args.handler(args, _status)  # (looked up now: tests/commit/paused_cli.py replaces it)
    except UsageError as e:  # an argument that cannot be what it names: as argparse's own, exit 2
        say(f"stedi: error: {e}")
        return 2
    except StediError as e:
        say(f"stedi: error: {e}")
        return 1
    except CommittedInterrupt as e:  # the run succeeded: only its tidy-up was cut short
        say(f"stedi: {e}")
        return 0
    except KeyboardInterrupt:
        print("stedi: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        full = disk_full(e, writes_into(args))  # however the disk says it is full: one line naming where
        if full is not None:
            say(f"stedi: error: {full}")
            return 1
        if isinstance(e, OSError):  # a path the user gave cannot be used, e.g. `generate` into a file
            where = f"{e.filename}: " if e.filename else ""
            say(f"stedi: error: {where}{e.strerror or e}")
            return 1
        code = _duckdb_error(e)
        if code is None:
            raise
        return code


def _duckdb_error(e: Exception) -> int | None:
    """Ctrl-C in a query and running out of memory, as DuckDB reports them: one line, not a traceback."""
    duckdb = sys.modules.get("duckdb")
    if is_interrupt(e):
        print("stedi: interrupted", file=sys.stderr)
        return 130
    if duckdb is not None and isinstance(e, duckdb.OutOfMemoryException):
        reason = str(e).strip().splitlines()[0]
        say(f"stedi: error: {reason}; raise memory_limit (STEDI_MEMORY_LIMIT or the lake's stedi.toml)")
        return 1
    return None  # a bug: let its traceback show


def entry() -> None:
    """The `stedi` command's entry point: main(), then exit with its status. Once the work is
    done, Ctrl-C is ignored: it could only interrupt the interpreter's own exit (joining library
    threads), turning a finished command into a traceback."""
    code = main(then_ignore_ctrl_c=True)
    # CPython remembers a KeyboardInterrupt that ended any exec() or eval() of a string (dataclasses
    # and namedtuples are made so, when a module is first imported) and, under `python -m`, exits by
    # SIGINT at the end whatever the status: a handled Ctrl-C became status -2, not 130 or 0. The
    # next string it runs clears that.
    exec("None")
    sys.exit(code)


if __name__ == "__main__":
    entry()
