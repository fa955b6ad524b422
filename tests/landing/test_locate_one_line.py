"""A file of one line without a newline: numbering its rejected line must not index past the
newlines there are (a run stopped with IndexError on a lone truncated line)."""

from __future__ import annotations

from pathlib import Path

from stedi.landing.locate import lines_at


def test_the_only_line_of_a_file_without_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b'{"user":"a@x.com","timestamp":')
    assert lines_at(path, [0], 1) == [(1, b'{"user":"a@x.com","timestamp":')]
    path.write_bytes(b"\xef\xbb\xbf")
    assert lines_at(path, [0], 1) == [(1, b"\xef\xbb\xbf")]
