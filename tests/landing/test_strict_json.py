from pathlib import Path

import numpy as np

from stedi.landing import strict_json
from stedi.landing.strict_json import byte_counts, suspects


def test_bytes_are_counted_per_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a":1,"b":2}\n\x0b{"a":"x:y"}\n{"a":[{}]}\n' * 1000)
    # ':', ',', vertical tabs or form feeds, '[' or '{' (no other byte is counted as a bracket)
    assert byte_counts(path).tolist() == [5000, 1000, 1000, 5000]
    (tmp_path / "empty.json").write_bytes(b"")
    assert byte_counts(tmp_path / "empty.json").tolist() == [0, 0, 0, 0]
    (tmp_path / "others.json").write_bytes(bytes(b for b in range(256) if b not in b":,\x0b\x0c[{"))
    assert byte_counts(tmp_path / "others.json").tolist() == [0, 0, 0, 0]


def test_lines_over_their_share_of_keys_are_suspects(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(strict_json, "_BLOCK", 16)  # lines span blocks
    path = tmp_path / "f.json"
    lines = [b'{"a":1,"b":2}', b"  ", b'{"a":1,"b":2,}', b'{"a":1,"a":2}', b"bad", b'{"a":"x,y","b":1}\r',
             b'\x0c{"a":1,"b":2}', b'{"a":1,"b":null}', b'{"a":1,"b":2}']
    path.write_bytes(b"\n".join(lines))
    # Keys each accepted row has (the blank line has no position); -1: a line already rejected.
    keys = np.array([2, 2, 1, -1, 2, 2, 1, 2], dtype=np.int16)
    assert suspects(path, keys) == [(1, 3, b'{"a":1,"b":2,}'), (2, 4, b'{"a":1,"a":2}'), (4, 6, b'{"a":"x,y","b":1}'),
                                    (5, 7, b'\x0c{"a":1,"b":2}'), (6, 8, b'{"a":1,"b":null}')]
    assert suspects(path, keys[:-1]) is None  # another number of lines: positions would lie


def test_lines_with_an_opening_bracket_besides_their_own_are_suspects(tmp_path: Path) -> None:
    """An accepted line holds one '{', its own; a line holding another '[' or '{' is a suspect
    (it could nest too deep) even where its ':' and ',' are just its share."""
    path = tmp_path / "f.json"
    lines = [b'{"a":1,"b":2}', b'{"a":[[1]],"b":2}', b'{"a":"[","b":2}', b'{"a":"{","b":2}', b'{"a":"]}","b":2}',
             b'{"a":1,"b":2}{']
    path.write_bytes(b"\n".join(lines) + b"\n")
    keys = np.array([2] * len(lines), dtype=np.int16)
    assert [line for _, line, _ in suspects(path, keys)] == [2, 3, 4, 6]  # brackets in strings too: the validator decides
