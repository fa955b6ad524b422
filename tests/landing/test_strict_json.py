from pathlib import Path

import numpy as np

from stedi.landing import strict_json
from stedi.landing.strict_json import byte_counts, suspects


def test_bytes_are_counted_per_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a":1,"b":2}\n\x0b{"a":"x:y"}\n' * 1000)
    assert byte_counts(path).tolist() == [4000, 1000, 1000]
    (tmp_path / "empty.json").write_bytes(b"")
    assert byte_counts(tmp_path / "empty.json").tolist() == [0, 0, 0]


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
