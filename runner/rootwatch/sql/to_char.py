"""Translating Postgres ``to_char`` formats for timestamps into DuckDB ``strftime`` expressions.

Postgres pads full month and day names to nine characters unless the ``FM`` prefix is given, and
upper-cases them when the pattern is upper case; strftime has neither behaviour, so those tokens
become ``rpad``/``upper``/``lower`` around a strftime call. Unknown letters are an error, not a guess.
"""

from __future__ import annotations

from sqlglot import exp

from rootwatch.errors import SqlError

# Numeric tokens, longest first: (Postgres token, strftime with padding, strftime without padding).
_NUMERIC = (
    ("YYYY", "%Y", "%Y"),
    ("HH24", "%H", "%-H"),
    ("HH12", "%I", "%-I"),
    ("DDD", "%j", "%-j"),
    ("YY", "%y", "%-y"),
    ("MM", "%m", "%-m"),
    ("DD", "%d", "%-d"),
    ("HH", "%I", "%-I"),
    ("MI", "%M", "%-M"),
    ("SS", "%S", "%-S"),
    ("MS", "%g", "%g"),
    ("US", "%f", "%f"),
)
# Name tokens: (token in any case, strftime, padded width when not FM).
_NAMES = (
    ("MONTH", "%B", 9),
    ("MON", "%b", None),
    ("DAY", "%A", 9),
    ("DY", "%a", None),
)
_MERIDIEM = {"AM": "%p", "PM": "%p", "A.M.": None, "P.M.": None}


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


def translate_to_char(value: exp.Expression, pattern: str) -> exp.Expression:
    """An expression giving the same text on DuckDB as ``to_char(value, pattern)`` on Postgres."""
    parts: list[exp.Expression] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            parts.append(strftime("".join(pending)))
            pending.clear()

    def strftime(fmt: str) -> exp.Expression:
        return exp.Anonymous(this="strftime", expressions=[value.copy(), exp.Literal.string(fmt)])

    i = 0
    while i < len(pattern):
        fill_mode = pattern.startswith(("FM", "fm"), i)
        if fill_mode:
            i += 2
        rest = pattern[i:]
        matched = False
        for token, padded, unpadded in _NUMERIC:
            if rest.upper().startswith(token):
                pending.append(unpadded if fill_mode else padded)
                i += len(token)
                matched = True
                break
        if matched:
            continue
        for token, code, width in _NAMES:
            if rest.upper().startswith(token):
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
        if rest[:2].upper() in _MERIDIEM and _MERIDIEM[rest[:2].upper()]:
            written = rest[:2]
            if written.isupper():
                pending.append("%p")
            else:
                flush()
                parts.append(exp.Lower(this=strftime("%p")))
            i += 2
            continue
        if fill_mode:
            raise SqlError(f"to_char: FM must precede a field, at {pattern[i - 2:]!r}")
        char = pattern[i]
        if char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise SqlError(f"to_char: unterminated quoted text in {pattern!r}")
            pending.append(pattern[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        if char.isalpha():
            raise SqlError(
                f"to_char: pattern {pattern!r} uses {rest[:4]!r}, which rootwatch does not translate",
                hint="use YYYY, MM, DD, HH24, MI, SS, MS, US, Month, Mon, Day, Dy, AM with optional FM",
            )
        pending.append("%%" if char == "%" else char)
        i += 1
    flush()
    if not parts:
        return exp.Literal.string("")
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    return result
