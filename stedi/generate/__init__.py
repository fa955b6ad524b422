"""A seeded, vectorized generator of realistic STEDI landing data.

``generate(out, customers, seed)`` writes ``customer``, ``accelerometer`` and
``step_trainer`` landing files in the starter layout with every known trait of real
deliveries at a configurable rate (``GeneratorRates``) and returns a
``GenerationReport`` with the counts a test needs to check those rates.

Modules: ``rates`` (the knobs), ``schedule`` (when readings happen), ``customers`` and
``readings`` (the rows), ``jsonlines`` (rows to JSON text with Arrow kernels),
``malformed`` (damaged lines), ``writer`` (part files), ``core`` (the chunked loop).
"""

from stedi.generate.core import generate
from stedi.generate.rates import GeneratorRates
from stedi.generate.report import MALFORMED_KINDS, GenerationReport, SourceReport

__all__ = ["GenerationReport", "GeneratorRates", "MALFORMED_KINDS", "SourceReport", "generate"]
