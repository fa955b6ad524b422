"""``generate``: write a seeded, realistic STEDI landing delivery, chunk by chunk."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from stedi.generate.customers import make_customers
from stedi.generate.jsonlines import render_lines
from stedi.generate.malformed import choose, malformed_lines, splice
from stedi.generate.names import name_map
from stedi.generate.rates import GeneratorRates
from stedi.generate.readings import Batch, customer_batch, reading_batches
from stedi.generate.report import GenerationReport
from stedi.generate.schedule import START_MS, Collisions, make_schedule, starts_per_ms
from stedi.generate.writer import Clock, PartWriter

CHUNK_CUSTOMERS = 10_000  # customers generated at a time: bounds memory (peak ~470 MB at the default rates)
PIECE_ROWS = 250_000  # rows rendered per task; a chunk's pieces render in parallel
_WRITER_STREAM, _CHUNK_STREAM, _NAMES_STREAM = 0, 1, 2  # independent random streams under one seed
_ORDER = ("customer", "accelerometer", "step_trainer")  # fixed: a writer's stream is its index


def generate(
    out: Path | str,
    customers: int,
    seed: int = 0,
    rates: GeneratorRates = GeneratorRates(),
    progress: Callable[[int, int], None] | None = None,
    *,
    chunk_customers: int = CHUNK_CUSTOMERS,
    workers: int | None = None,
    overwrite: bool = False,
) -> GenerationReport:
    """Write the landing files of ``customers`` customers under ``out`` and report them.

    Layout: ``out/customer/landing/customer-<epoch ms>.json``, ``out/accelerometer/landing/...``,
    ``out/step_trainer/landing/...``: line-delimited JSON, keys and types as declared in
    ``stedi.landing.sources``, with every trait of ``rates``, in files and in an order like
    the real deliveries' (``layout``).

    The same ``seed``, ``customers``, ``rates`` and ``chunk_customers`` give byte-identical
    files (``workers`` only changes the speed). Customers are generated
    ``chunk_customers`` at a time, so memory stays bounded for any size.
    ``progress(done, total)`` is called with the customers written so far, first with 0.
    Existing landing files of a source raise ``FileExistsError`` unless ``overwrite``.
    """
    _check_int("customers", customers, 1)
    _check_int("seed", seed, 0)
    _check_int("chunk_customers", chunk_customers, 1)
    if workers is not None:
        _check_int("workers", workers, 1)
    if not isinstance(rates, GeneratorRates):
        raise ValueError(f"rates must be a GeneratorRates, got {type(rates).__name__}")
    workers = workers or min(4, os.cpu_count() or 1)
    landing = {name: Path(out) / name / "landing" for name in _ORDER}
    _prepare(landing, overwrite)

    def stream(*key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))

    files_clock = Clock(stream(_WRITER_STREAM, len(_ORDER)))
    writers = {
        name: PartWriter(landing[name], name, rates.max_part_bytes, rates.truncated_file_end,
                         stream(_WRITER_STREAM, i), files_clock, rates.lines_per_file)
        for i, name in enumerate(_ORDER)
    }
    names = name_map(stream(_NAMES_STREAM))
    rate = starts_per_ms(customers, rates)  # sessions per ms: the same in every chunk
    counts: Counter[str] = Counter()
    clock, carry = START_MS, Collisions()
    if progress is not None:
        progress(0, customers)
    with ThreadPoolExecutor(workers) as pool:
        try:
            for chunk, first in enumerate(range(0, customers, chunk_customers)):
                n = min(chunk_customers, customers - first)
                # One stream per chunk: its draws depend only on the seed and its index (its
                # sessions continue the stream of the chunk before, at the one rate).
                rng = stream(_CHUNK_STREAM, chunk)
                schedule, carry = make_schedule(rng, n, rates, clock, rate, carry)
                clock = schedule.end_ms
                people = make_customers(rng, first, schedule, rates, names)
                counts.update(people.counts)
                for batch in (customer_batch(people), *reading_batches(rng, schedule, people, rates)):
                    counts.update(batch.counts)
                    _write(batch, rng, rates.malformed, writers[batch.source.name], pool, workers)
                if progress is not None:
                    progress(first + n, customers)
        finally:
            reports = {name: writer.finish() for name, writer in writers.items()}
    return GenerationReport(
        seed=seed,
        customers=customers,
        customer=reports["customer"],
        accelerometer=reports["accelerometer"],
        step_trainer=reports["step_trainer"],
        rates=rates.as_dict(),
        **{key: int(counts[key]) for key in _COUNTS},
    )


_COUNTS = (
    "customers_with_consent",
    "consent_null",
    "resent_records",
    "consent_withdrawals",
    "phone_changes",
    "shared_serial_numbers",
    "customers_with_shared_serial",
    "accelerometer_moments",
    "step_trainer_cross_customer",
    "consenting_accelerometer",
    "accelerometer_before_consent",
)


def _write(
    batch: Batch,
    rng: np.random.Generator,
    share: float,
    writer: PartWriter,
    pool: ThreadPoolExecutor,
    workers: int,
) -> None:
    """Render a batch (pieces in parallel; Arrow kernels release the GIL) and write it in order."""
    codes = choose(rng, batch.rows, share)
    bad = np.flatnonzero(codes)
    bad_lines = malformed_lines(rng, batch.source, batch.values(bad), codes[bad]) if len(bad) else None
    pieces = max(1, math.ceil(batch.rows / PIECE_ROWS))
    pieces = math.ceil(pieces / workers) * workers  # keep every worker busy
    bounds = np.linspace(0, batch.rows, pieces + 1).astype(np.int64)

    def render(start: int, stop: int) -> pa.Array:
        lines = render_lines(batch.source, batch.values(slice(start, stop)))
        if bad_lines is None:
            return lines
        first, last = np.searchsorted(bad, [start, stop])
        return splice(lines, codes[start:stop], bad_lines.slice(first, last - first))

    for start, stop, lines in zip(bounds[:-1], bounds[1:], pool.map(render, bounds[:-1], bounds[1:])):
        writer.write(lines, codes[start:stop])


def _prepare(landing: dict[str, Path], overwrite: bool) -> None:
    """Create the landing folders; refuse (or with ``overwrite`` remove) earlier parts."""
    for name, directory in landing.items():
        directory.mkdir(parents=True, exist_ok=True)
        existing = sorted(directory.glob(f"{name}-*.json"))
        if existing and not overwrite:
            raise FileExistsError(f"{directory} already holds {len(existing)} {name} part files; pass overwrite=True")
        for path in existing:
            path.unlink()


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
