"""A seeded, vectorized generator of realistic STEDI landing data.

``generate(out, customers, seed)`` writes ``customer``, ``accelerometer`` and
``step_trainer`` landing files in the starter layout with every known trait of real
deliveries at a configurable rate (``GeneratorRates``) and returns a
``GenerationReport`` with the counts a test needs to check those rates.

The defaults reproduce the public starter data's structure (``statistics`` computes the
figures that compare them: docs/benchmarks.md, "Generated data against the starter data").

Modules: ``rates`` (the knobs), ``schedule`` (when readings happen), ``customers`` and
``names`` and ``readings`` (the rows), ``layout`` (where each reading goes in the files),
``jsonlines`` (rows to JSON text with Arrow kernels), ``malformed`` (damaged lines),
``writer`` (files), ``core`` (the chunked loop), ``statistics`` (how real a delivery looks).
"""

from stedi.generate.core import generate
from stedi.generate.rates import GeneratorRates
from stedi.generate.report import MALFORMED_KINDS, GenerationReport, SourceReport

__all__ = ["GenerationReport", "GeneratorRates", "MALFORMED_KINDS", "SourceReport", "generate"]
