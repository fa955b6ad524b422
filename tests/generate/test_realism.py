"""Generated data side by side with the public starter data: the same figures
(``stedi.generate.statistics``), computed the same way on both, within the tolerances
``FIGURES`` states (skipped where ../shared/data/stedi is absent). The table of both is in
docs/benchmarks.md ("Generated data against the starter data")."""

from __future__ import annotations

import pytest

from stedi.generate import generate
from stedi.generate.statistics import FIGURES, landing_statistics
from tests.conftest import STARTER

pytestmark = pytest.mark.skipif(not STARTER.is_dir(), reason="starter data not present at ../shared/data/stedi")


@pytest.fixture(scope="module")
def starter() -> dict[str, float]:
    return landing_statistics(STARTER)


def test_the_starter_data_is_what_the_generator_copies(starter: dict[str, float]) -> None:
    # The real figures the defaults reproduce (measured on ../shared/data/stedi).
    assert starter["customers"] == 956 and starter["ms_per_customer"] == 30 == starter["step_per_customer"]
    assert starter["phone_per_customer_min"] == 77 and starter["phone_per_customer_max"] == 90
    assert starter["consent_before_first_reading"] == pytest.approx(0.197, abs=0.001)
    assert starter["consent_after_last_reading"] == pytest.approx(0.037, abs=0.001)
    assert starter["three_digit_year"] == pytest.approx(0.055, abs=0.001)
    assert starter["cross_customer_ms"] == pytest.approx(0.106, abs=0.001)
    assert starter["max_customers_per_ms"] == 5 and starter["duplicate_phone_lines"] == 0
    assert starter["lines_per_file"] == 10_000 and starter["descending_in_block"] > 0.999


@pytest.mark.parametrize(
    ("customers", "chunk"),
    [(956, None), (5000, 1000)],
    ids=["as many customers as the starter", "5,000 customers in chunks of 1,000"],
)
def test_generated_data_has_the_figures_of_the_starter_data(
    starter: dict[str, float], tmp_path_factory: pytest.TempPathFactory, customers: int, chunk: int | None
) -> None:
    out = tmp_path_factory.mktemp("realism")
    generate(out, customers, seed=1, **({"chunk_customers": chunk} if chunk else {}))
    generated = landing_statistics(out)
    assert generated["customers"] == pytest.approx(customers, abs=5)  # a first record may be malformed
    off = [
        f"{f.name}: real {starter[f.name]:g}, generated {generated[f.name]:g} (tolerance {f.describe()})"
        for f in FIGURES
        if not f.within(starter[f.name], generated[f.name])
    ]
    assert not off, "\n".join(off)
