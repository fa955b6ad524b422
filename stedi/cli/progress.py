"""A progress bar for long writes (the generator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def generate_with_progress(out: Path, customers: int, seed: int, overwrite: bool = False) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from stedi.errors import InputError
    from stedi.generate import generate

    if customers < 1:
        raise InputError(f"--customers must be at least 1, not {customers}")
    with Progress(TextColumn("generating"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("generate", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return generate(out, customers=customers, seed=seed, progress=progress, overwrite=overwrite)
        except FileExistsError:
            raise InputError(f"{out}: already holds landing files; pass --overwrite or choose a new folder") from None
        except ValueError as e:
            raise InputError(f"{out}: {e}") from None
