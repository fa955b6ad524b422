import io
from pathlib import Path

from stedi.landing.locate import decode, lines_at, read_exactly
from stedi.landing.sources import ACCELEROMETER


def test_positions_among_non_blank_lines_give_line_numbers_and_text(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a":1}\r\n\r\nbad\r\n\n{"a":2}\nlast')  # CRLF, blank lines, no final newline
    assert lines_at(path, [1, 3], non_blank_lines=4) == [(3, b"bad"), (6, b"last")]


def test_positions_in_a_file_of_many_blocks_without_blank_lines(tmp_path: Path) -> None:
    # 30,000 lines of varying length (some CRLF, no final newline) span many 64 KiB blocks,
    # so wanted lines start and end in different blocks; the answer is Python's own split.
    lines = [(b"x" * (i % 97) + str(i).encode() + (b"\r" if i % 7 == 0 else b"")) for i in range(30_000)]
    path = tmp_path / "f.json"
    path.write_bytes(b"\n".join(lines))
    wanted = [0, 1, 655, 656, 1_000, 12_345, 29_998, 29_999]
    expected = [(p + 1, lines[p].removesuffix(b"\r")) for p in wanted]
    assert lines_at(path, wanted, non_blank_lines=30_000) == expected
    assert lines_at(path, wanted, non_blank_lines=29_999) is None  # the reader saw another count


def test_a_count_that_disagrees_means_positions_cannot_be_trusted(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"one\ntwo\nthree\n")
    assert lines_at(path, [1], non_blank_lines=2) is None


def test_lines_of_white_space_are_blank_as_the_reader_skips_them(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"one\n   \n\t\x0b\x0c \r\n two \nbad\n")
    assert lines_at(path, [1, 2], non_blank_lines=3) == [(4, b" two "), (5, b"bad")]


def test_reading_line_by_line_finds_rejected_lines_with_reasons(tmp_path: Path) -> None:
    good = b'{"user": "a@x", "timestamp": 1, "x": 1, "y": 2, "z": 3}'
    path = tmp_path / "f.json"
    path.write_bytes(good + b"\n   \n" + b'{"user": "a@x"}\r\n' + good + b"\nbad\rtwo\n")
    accepted = io.BytesIO()
    read, rejected, numbers, longest = read_exactly(ACCELEROMETER, path, accepted)
    assert read == 4
    assert rejected == [(3, '{"user": "a@x"}', "missing required field 'timestamp'"),
                        (5, "bad\rtwo", "malformed JSON: Expecting value at column 1")]
    assert numbers == [1, 4] and longest == len(good) and accepted.getvalue() == good + b"\n" + good + b"\n"


def test_undecodable_bytes_are_shown_and_named() -> None:
    raw, reason = decode(b'{"user": "\xff"}')
    assert raw == '{"user": "\ufffd"}' and reason == "not UTF-8 text: byte 11 cannot be decoded"
