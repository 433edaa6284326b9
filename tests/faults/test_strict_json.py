"""The strict JSON reader every AWS file goes through: what Python's json lets pass, it refuses."""

from __future__ import annotations

import pytest

from rootwatch.snapshot.strict_json import StrictJsonError, loads, raw_decode


def test_valid_json_reads_as_json_does() -> None:
    assert loads(' {"a": [1, -2, 2.5, "x", null, true]}\n') == {"a": [1, -2, 2.5, "x", None, True]}


@pytest.mark.parametrize(
    ("text", "phrase", "line"),
    [
        ('{"Records": [],\n "Records": [{"eventName": "x"}]}', "duplicate key 'Records'", 2),
        ('{"a": {"b": 1, "b": 2}}', "duplicate key 'b'", 1),
        ("[" + "1" * 5000 + "]", "5000 digits", None),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply", None),
        ("[NaN]", "NaN is not JSON", None),
        ("[-Infinity]", "-Infinity is not JSON", None),
        ("[1e999]", "out of range", None),
        ('{"a": 1} {"b": 2}', "extra data", 1),
        ("", "Expecting value", 1),
    ],
)
def test_what_python_accepts_or_crashes_on_is_a_located_error(text: str, phrase: str, line: int | None) -> None:
    with pytest.raises(StrictJsonError) as caught:
        loads(text)
    assert phrase in caught.value.message
    assert caught.value.line == line


def test_raw_decode_reads_documents_back_to_back_and_stays_strict() -> None:
    text = '{"a": 1} {"b": 2}'
    first, end = raw_decode(text)
    assert first == {"a": 1}
    assert raw_decode(text, end + 1)[0] == {"b": 2}
    with pytest.raises(StrictJsonError, match="duplicate key 'a'"):
        raw_decode('{"a": 1, "a": 2} {}')
