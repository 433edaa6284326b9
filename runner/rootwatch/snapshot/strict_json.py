"""The one JSON reader for AWS files (CLI outputs, credential reports, CloudTrail logs).

Python's ``json`` is lenient where AWS input must not be:

* a duplicated key keeps the last value, so ``{"Records": [...], "Records": []}`` silently loses
  the first list (and with it the evidence); here it is an error naming the key;
* ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and no AWS API prints them;
* an integer of more than 4,300 digits raises a plain ``ValueError`` from ``int()`` (CPython's
  guard against quadratic conversion) and deep nesting raises ``RecursionError``: both escaped as
  internal errors. Here they are :class:`StrictJsonError`, which callers report as bad input.

Every error carries the line and column where it can be located, as ``json.JSONDecodeError`` does.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_INTEGER_DIGITS = 100
"""No count, size or id in an AWS response comes near this; a longer integer is not AWS output."""


class StrictJsonError(ValueError):
    """Text that is not strict JSON; ``line`` and ``column`` are 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message if line is None else f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise StrictJsonError(f"a number of {len(text.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS} are accepted)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise StrictJsonError(f"the number {text[:40]}{'...' if len(text) > 40 else ''} is out of range")
    return value


def _constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_unique_object, parse_int=_integer, parse_float=_float, parse_constant=_constant
)


def loads(text: str) -> Any:
    """The value of ``text``, or StrictJsonError saying where and why it is not strict JSON."""
    value, end = raw_decode(text, _skip_space(text, 0))
    end = _skip_space(text, end)
    if end != len(text):
        line = text.count("\n", 0, end) + 1
        raise StrictJsonError("extra data after the JSON value", line, end - (text.rfind("\n", 0, end) + 1) + 1)
    return value


def raw_decode(text: str, position: int = 0) -> tuple[Any, int]:
    """The JSON value starting at ``position`` of ``text`` and the index where it ends (for files
    holding several documents back to back, as ``json.JSONDecoder.raw_decode``)."""
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as exc:
        raise StrictJsonError(exc.msg, exc.lineno, exc.colno) from None
    except _DuplicateKey as exc:
        line, column = _second_occurrence(text, exc.key)
        raise StrictJsonError(f"duplicate key {exc.key!r} in one object", line, column) from None
    except RecursionError:
        raise StrictJsonError("nested too deeply (no AWS output nests like this)") from None
    except StrictJsonError:
        raise
    except ValueError as exc:  # int() and float() limits not caught above
        raise StrictJsonError(str(exc)) from None


def _second_occurrence(text: str, key: str) -> tuple[int | None, int | None]:
    """Line and column of the second ``"key":`` in ``text``: where the duplicate most likely is
    (the decoder's hook sees the object's pairs, not their positions)."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    matches = pattern.finditer(text)
    next(matches, None)
    second = next(matches, None)
    if second is None:  # written with other escapes ("\u0052ecords"): the key alone says enough
        return None, None
    start = second.start()
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
