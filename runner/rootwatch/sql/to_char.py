"""Translating Postgres ``to_char`` formats for timestamps into DuckDB ``strftime`` or Spark
``date_format`` expressions.

Postgres pads full month and day names to nine characters unless the ``FM`` prefix is given, and
upper-cases them when the pattern is upper case; neither formatter has those behaviours, so those
tokens become ``rpad``/``upper``/``lower`` around a formatter call. Unknown letters are an error,
not a guess. The Postgres pattern is read once; a :class:`Formatter` says how each field is
written for the target engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from rootwatch.errors import SqlError


@dataclass(frozen=True)
class Formatter:
    """One engine's timestamp formatter: its function, codes for each Postgres field, and how it
    writes literal text."""

    function: str
    numeric: dict[str, tuple[str, str]]
    """Postgres numeric token -> (code with padding, code without padding, for FM)."""
    names: dict[str, str]
    """Postgres name token (MONTH, MON, DAY, DY) -> the code writing the title-case name."""
    meridiem: str
    """The code writing AM or PM."""
    literal: Callable[[str], str]
    """Text the formatter must write as it is."""


def _spark_literal(text: str) -> str:
    # Java's DateTimeFormatter: ASCII letters are fields, so runs of them are quoted ('week');
    # a quote is written ''.
    import re

    def quote(match: re.Match[str]) -> str:
        return f"'{match.group(0)}'"

    return re.sub(r"[A-Za-z]+", quote, text.replace("'", "''"))


# Numeric tokens, longest first.
_NUMERIC_TOKENS = ("YYYY", "HH24", "HH12", "DDD", "YY", "MM", "DD", "HH", "MI", "SS", "MS", "US")
# Name tokens, longest first: (token in any case, padded width when not FM).
_NAMES = (("MONTH", 9), ("MON", None), ("DAY", 9), ("DY", None))
_MERIDIEM = ("AM", "PM")

STRFTIME = Formatter(
    function="strftime",
    numeric={
        "YYYY": ("%Y", "%Y"), "HH24": ("%H", "%-H"), "HH12": ("%I", "%-I"), "DDD": ("%j", "%-j"),
        "YY": ("%y", "%-y"), "MM": ("%m", "%-m"), "DD": ("%d", "%-d"), "HH": ("%I", "%-I"),
        "MI": ("%M", "%-M"), "SS": ("%S", "%-S"), "MS": ("%g", "%g"), "US": ("%f", "%f"),
    },
    names={"MONTH": "%B", "MON": "%b", "DAY": "%A", "DY": "%a"},
    meridiem="%p",
    literal=lambda text: text.replace("%", "%%"),
)
"""DuckDB's strftime."""

DATE_FORMAT = Formatter(
    function="date_format",
    numeric={
        "YYYY": ("yyyy", "y"), "HH24": ("HH", "H"), "HH12": ("hh", "h"), "DDD": ("DDD", "D"),
        "YY": ("yy", "yy"), "MM": ("MM", "M"), "DD": ("dd", "d"), "HH": ("hh", "h"),
        "MI": ("mm", "m"), "SS": ("ss", "s"), "MS": ("SSS", "SSS"), "US": ("SSSSSS", "SSSSSS"),
    },
    names={"MONTH": "MMMM", "MON": "MMM", "DAY": "EEEE", "DY": "EEE"},
    meridiem="a",
    literal=_spark_literal,
)
"""Spark's date_format (Java DateTimeFormatter patterns)."""


def _case_of(token: str) -> str:
    if token.isupper():
        return "upper"
    if token.islower():
        return "lower"
    return "title"


def _name_piece(piece: exp.Expression, case: str, width: int | None) -> exp.Expression:
    if case == "upper":
        piece = exp.Upper(this=piece)
    elif case == "lower":
        piece = exp.Lower(this=piece)
    if width is not None:
        piece = exp.Pad(
            this=piece,
            expression=exp.Literal.number(width),
            fill_pattern=exp.Literal.string(" "),
            is_left=False,
        )
    return piece


def translate_to_char(value: exp.Expression, pattern: str, formatter: Formatter = STRFTIME) -> exp.Expression:
    """An expression giving the same text with ``formatter`` as ``to_char(value, pattern)`` on Postgres."""
    parts: list[exp.Expression] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            parts.append(strftime("".join(pending)))
            pending.clear()

    def strftime(fmt: str) -> exp.Expression:
        return exp.Anonymous(this=formatter.function, expressions=[value.copy(), exp.Literal.string(fmt)])

    i = 0
    while i < len(pattern):
        fill_mode = pattern.startswith(("FM", "fm"), i)
        if fill_mode:
            i += 2
        rest = pattern[i:]
        matched = False
        for token in _NUMERIC_TOKENS:
            if rest.upper().startswith(token):
                padded, unpadded = formatter.numeric[token]
                pending.append(unpadded if fill_mode else padded)
                i += len(token)
                matched = True
                break
        if matched:
            continue
        for token, width in _NAMES:
            if rest.upper().startswith(token):
                code = formatter.names[token]
                case = _case_of(rest[: len(token)])
                padded_name = width is not None and not fill_mode
                if case == "title" and not padded_name:
                    pending.append(code)  # strftime writes exactly this
                else:
                    flush()
                    parts.append(_name_piece(strftime(code), case, width if padded_name else None))
                i += len(token)
                matched = True
                break
        if matched:
            continue
        if rest[:2].upper() in _MERIDIEM:
            written = rest[:2]
            if written.isupper():
                pending.append(formatter.meridiem)
            else:
                flush()
                parts.append(exp.Lower(this=strftime(formatter.meridiem)))
            i += 2
            continue
        if fill_mode:
            raise SqlError(f"to_char: FM must precede a field, at {pattern[i - 2:]!r}")
        char = pattern[i]
        if char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise SqlError(f"to_char: unterminated quoted text in {pattern!r}")
            pending.append(formatter.literal(pattern[i + 1 : end]))
            i = end + 1
            continue
        if char.isalpha():
            raise SqlError(
                f"to_char: pattern {pattern!r} uses {rest[:4]!r}, which rootwatch does not translate",
                hint="use YYYY, MM, DD, HH24, MI, SS, MS, US, Month, Mon, Day, Dy, AM with optional FM",
            )
        pending.append(formatter.literal(char))
        i += 1
    flush()
    if not parts:
        return exp.Literal.string("")
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    return result


def replace_to_char(tree: exp.Expression, engine: str, formatter: Formatter = STRFTIME) -> exp.Expression:
    """Every Postgres ``to_char(value, 'literal format')`` in ``tree`` rewritten with ``formatter``
    (DuckDB's ``strftime`` pieces, Spark's ``date_format``); ``engine`` names the target in errors."""
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() == "to_char":
            if len(node.expressions) != 2:
                raise SqlError("to_char() takes a value and a format")
            value, template = node.expressions
            if not (isinstance(template, exp.Literal) and template.is_string):
                raise SqlError(f"to_char() needs a literal format string to run on {engine}")
            node.replace(translate_to_char(value, template.this, formatter))
    return tree
