"""A progress bar for long writes (the generator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def parse_rates(pairs: list[str]) -> Any:
    """GeneratorRates from NAME=VALUE pairs given on the command line."""
    from dataclasses import fields, replace

    from stedi.errors import InputError
    from stedi.generate import GeneratorRates

    known = {f.name: f.type for f in fields(GeneratorRates)}
    changes: dict[str, float | int] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in known or not value:
            raise InputError(f"--rate {pair}: expected NAME=VALUE with NAME one of {', '.join(known)}")
        try:
            changes[name] = int(value) if known[name] in ("int", int) else float(value)
        except ValueError:
            raise InputError(f"--rate {pair}: {value!r} is not a number") from None
    try:
        return replace(GeneratorRates(), **changes)
    except ValueError as e:
        raise InputError(f"--rate: {e}") from None


def generate_with_progress(out: Path, customers: int, seed: int, overwrite: bool = False,
                           rates: list[str] | None = None) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from stedi.errors import InputError
    from stedi.generate import generate
    from stedi.storage.local import lake_around

    lake = lake_around(out)
    if lake is not None:  # it would write landing files past ingest's checks (--overwrite: delete them)
        raise InputError(f"{out}: inside the lake {lake}; deliveries go into a lake through `stedi ingest`: "
                         "generate into a folder outside it")
    parsed = parse_rates(rates or [])  # before the bar opens: a wrong rate leaves stdout empty
    with Progress(TextColumn("generating"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("generate", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return generate(out, customers=customers, seed=seed, rates=parsed,
                            progress=progress, overwrite=overwrite)
        except FileExistsError:
            raise InputError(f"{out}: already holds landing files; pass --overwrite or choose a new folder") from None
        except ValueError as e:  # the generator names the argument that is wrong
            raise InputError(str(e)) from None
