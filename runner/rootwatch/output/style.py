"""Terminal styling shared by the human-readable formats: colour only on a terminal."""

from __future__ import annotations

import os
import re
import sys

from rootwatch.status import Status

_COLOURS = {
    Status.OK: "32",
    Status.ALARM: "31;1",
    Status.ERROR: "35;1",
    Status.SKIP: "2",
    Status.INFO: "36",
}


def colour_enabled() -> bool:
    """Colour when stdout is a terminal and neither NO_COLOR nor ROOTWATCH_NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or os.environ.get("ROOTWATCH_NO_COLOR"):
        return False
    return sys.stdout.isatty()


def paint(text: str, status: Status, enabled: bool) -> str:
    return f"\x1b[{_COLOURS[status]}m{text}\x1b[0m" if enabled else text


def bold(text: str, enabled: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if enabled else text


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# A cell starting with one of these is a formula to a spreadsheet; CSV files are opened in one, and
# evidence and query rows carry text from the audited accounts.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text``, with a leading apostrophe when a spreadsheet would evaluate it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def printable_lines(text: str) -> str:
    """``text`` with each line made :func:`printable` (the line breaks kept)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def printable(text: str) -> str:
    """``text`` safe for a terminal line: control characters (newlines, escape sequences that
    could restyle or rewrite the terminal) shown as visible escapes such as ``\\n``."""
    if text.isprintable():
        # No control character (category Cc is never printable): the common case, at 110,000
        # reasons a run, several times faster than the substitution below.
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")

    return _CONTROL_CHARACTERS.sub(escape, text)
