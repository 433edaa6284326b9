"""Pinning the clock: every "now" in a control becomes the run's as-of instant.

A stored snapshot then grades the same next year as today, and Postgres and DuckDB agree to the
microsecond. Both engines also run with the session time zone set to UTC.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

# Functions that read the clock, by the name sqlglot leaves them under when it has no node for them.
_CLOCK_CALLS = {"transaction_timestamp", "statement_timestamp", "clock_timestamp"}

# Postgres's special date/time input strings that read the clock ('epoch' does not), as days from
# today; None is 'now' itself.
_SPECIAL_INPUTS: dict[str, int | None] = {"now": None, "today": 0, "tomorrow": 1, "yesterday": -1}


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
        if isinstance(node, exp.Anonymous) and node.name.lower() == "age" and len(node.expressions) == 1:
            # age(x) is age(current_date at midnight, x).
            midnight = datetime.combine(instant.date(), time()).isoformat()
            return exp.Anonymous(this=node.this, expressions=[cast(midnight, "timestamp"), node.expressions[0].copy()])
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
            special = node.this.this.strip().lower()
            if special in _SPECIAL_INPUTS:
                return _special_input(node, _SPECIAL_INPUTS[special], instant)
        return None

    for node in list(tree.walk()):
        new = replacement(node)
        if new is not None:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _special_input(node, days: int | None, instant: datetime):  # noqa: ANN001, ANN202
    """``'now'::timestamptz``, ``'today'::date`` and the like as the as-of instant (or its
    midnight, the day before or after), in the type the cast asks for."""
    from sqlglot import exp

    kind = node.to.this
    moment = instant if days is None else datetime.combine(instant.date() + timedelta(days=days), time(), timezone.utc)
    texts = {
        exp.DataType.Type.DATE: moment.date().isoformat(),
        exp.DataType.Type.TIMESTAMP: moment.replace(tzinfo=None).isoformat(),
        exp.DataType.Type.TIMESTAMPTZ: moment.isoformat(),
        exp.DataType.Type.TIME: moment.time().isoformat(),
    }
    if kind not in texts:
        return None  # 'now' cast to text is just the word
    return exp.Cast(this=exp.Literal.string(texts[kind]), to=node.to.copy())
