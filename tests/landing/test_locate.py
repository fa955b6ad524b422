from pathlib import Path

import pytest

from stedi.landing import locate
from stedi.landing.locate import line_numbers


@pytest.mark.parametrize("many", [False, True])
def test_finds_repeated_lines_crlf_and_last_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, many: bool) -> None:
    if many:  # the one-pass path, taken when many lines are wanted
        monkeypatch.setattr(locate, "_MANY", 0)
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a":1}\nbad\r\n{"a":2}\nbad\n\nbad')
    found = line_numbers(path, ["bad", "bad", "bad", "missing", '{"a":2}'])
    assert [line for line, _ in found] == [2, 4, 6, None, 3]
    assert [text for _, text in found] == ["bad", "bad", "bad", None, '{"a":2}']


@pytest.mark.parametrize("many", [False, True])
def test_a_piece_cut_at_a_lone_carriage_return_finds_its_whole_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, many: bool) -> None:
    if many:
        monkeypatch.setattr(locate, "_MANY", 0)
    path = tmp_path / "f.json"
    path.write_bytes(b"ok\nbad\rtwo\nok\n")
    assert line_numbers(path, ["bad"]) == [(2, "bad\rtwo")]


def test_a_line_inside_another_line_is_not_a_match(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"xbad\nbady\nbad\n")
    assert line_numbers(path, ["bad"]) == [(3, "bad")]
