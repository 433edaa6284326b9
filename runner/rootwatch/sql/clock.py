"""Pinning the clock: every "now" in a control becomes the run's as-of instant.

A stored snapshot then grades the same next year as today, and Postgres and DuckDB agree to the
microsecond. Both engines also run with the session time zone set to UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone

# Functions that read the clock, by the name sqlglot leaves them under when it has no node for them.
_CLOCK_CALLS = {"transaction_timestamp", "statement_timestamp", "clock_timestamp"}


def pin_clock(tree, as_of: datetime):  # noqa: ANN001, ANN201
    """Replace clock reads in ``tree`` (in place) by literals of the as-of instant in UTC."""
    from sqlglot import exp

    instant = as_of.astimezone(timezone.utc)
    aware = instant.isoformat()
    naive = instant.replace(tzinfo=None).isoformat()

    def cast(text: str, to: str) -> exp.Expression:
        return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build(to))

    def replacement(node: exp.Expression) -> exp.Expression | None:
        if isinstance(node, exp.CurrentTimestamp):
            return cast(aware, "timestamptz")
        if isinstance(node, exp.Anonymous) and node.name.lower() in _CLOCK_CALLS:
            return cast(aware, "timestamptz")
        if isinstance(node, exp.Anonymous) and node.name.lower() == "timeofday":
            return exp.Literal.string(instant.strftime("%a %b %d %H:%M:%S.%f %Y UTC"))
        if isinstance(node, exp.Localtimestamp):
            return cast(naive, "timestamp")
        if isinstance(node, exp.CurrentDate):
            return cast(instant.date().isoformat(), "date")
        if isinstance(node, (exp.CurrentTime, exp.Localtime)):
            return cast(instant.time().isoformat(), "time")
        return None

    for node in list(tree.walk()):
        new = replacement(node)
        if new is not None:
            if node is tree:
                return new
            node.replace(new)
    return tree
