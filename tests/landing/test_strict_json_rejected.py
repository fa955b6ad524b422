"""strict_json.suspects leaves lines DuckDB already rejected alone, even where they give an
optional key as null (their share of keys was -1, and the null's +1 made it look like a line
to ask about: the line was quarantined twice and the accepted count fell by one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stedi.landing.strict_json import suspects


def test_a_rejected_line_that_gives_a_key_as_null_is_no_suspect(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a":1,"b":2}\n{"a":"x","b":null}\n{"a":1,"b":null}\n{"a":1,"a":2,"b":null}\n')
    keys = np.array([2, -1, 1, 1], dtype=np.int16)  # the second line is rejected already
    absent = np.array([False, True, True, True])
    assert suspects(path, keys, {"b": absent}) == [(3, 4, b'{"a":1,"a":2,"b":null}')]
