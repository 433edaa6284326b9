"""Pinning the clock: every "now" in a control becomes the run's as-of instant.

A stored snapshot then grades the same next year as today, and Postgres and DuckDB agree to the
microsecond. Both engines also run with the session time zone set to UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from functools import partial

# Functions that read the clock, by the name sqlglot leaves them under when it has no node for them.
_CLOCK_CALLS = {"transaction_timestamp", "statement_timestamp", "clock_timestamp"}

# Postgres's special date/time input strings that read the clock ('epoch' does not), as days from
# today; None is 'now' itself.
SPECIAL_INPUTS: dict[str, int | None] = {"now": None, "today": 0, "tomorrow": 1, "yesterday": -1}


ClockText = Callable[[str], str]
"""Gives the text of a clock literal in one of the forms below (see :func:`clock_text`)."""


def clock_text(as_of: datetime, form: str) -> str:
    """The literal text of ``as_of`` (in UTC) in ``form``, one of:

    ``aware`` (timestamptz), ``naive`` (timestamp), ``date``, ``time``, ``timeofday`` (the text
    Postgres's timeofday() returns), or ``midnight<days>:<type>`` (``midnight+0:date``,
    ``midnight-1:timestamptz``...): midnight of the as-of day moved by ``days`` days, as ``type``.

    Forms let a compiled statement be kept with a marker in place of each clock literal and the
    as-of instant written in later, without compiling again (:mod:`rootwatch.sql.template`).
    """
    instant = as_of.astimezone(timezone.utc)
    if form.startswith("midnight"):
        days, _, kind = form[len("midnight"):].partition(":")
        instant = datetime.combine(instant.date() + timedelta(days=int(days)), time(), timezone.utc)
        form = _MIDNIGHT_FORMS[kind]
    if form == "aware":
        return instant.isoformat()
    if form == "naive":
        return instant.replace(tzinfo=None).isoformat()
    if form == "date":
        return instant.date().isoformat()
    if form == "time":
        return instant.time().isoformat()
    if form == "timeofday":
        return instant.strftime("%a %b %d %H:%M:%S.%f %Y UTC")
    raise ValueError(f"unknown clock form {form!r}")


_MIDNIGHT_FORMS = {"date": "date", "timestamp": "naive", "timestamptz": "aware", "time": "time"}


def pin_clock(tree, as_of: datetime | ClockText):  # noqa: ANN001, ANN201
    """Replace clock reads in ``tree`` (in place) by literals of the as-of instant in UTC.

    ``as_of`` is the instant, or a function giving the literal text of each form (a template's
    markers).
    """
    from sqlglot import exp

    text = as_of if callable(as_of) else partial(clock_text, as_of)

    def cast(form: str, to: str) -> exp.Expression:
        return exp.Cast(this=exp.Literal.string(text(form)), to=exp.DataType.build(to))

    def replacement(node: exp.Expression) -> exp.Expression | None:
        if isinstance(node, exp.CurrentTimestamp):
            return cast("aware", "timestamptz")
        if isinstance(node, exp.Anonymous) and node.name.lower() in _CLOCK_CALLS:
            return cast("aware", "timestamptz")
        if isinstance(node, exp.Anonymous) and node.name.lower() == "timeofday":
            return exp.Literal.string(text("timeofday"))
        if isinstance(node, exp.Localtimestamp):
            return cast("naive", "timestamp")
        if isinstance(node, exp.CurrentDate):
            return cast("date", "date")
        if isinstance(node, (exp.CurrentTime, exp.Localtime)):
            return cast("time", "time")
        if isinstance(node, exp.Anonymous) and node.name.lower() == "age" and len(node.expressions) == 1:
            # age(x) is age(current_date at midnight, x).
            return exp.Anonymous(
                this=node.this, expressions=[cast("midnight+0:timestamp", "timestamp"), node.expressions[0].copy()]
            )
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
            special = node.this.this.strip().lower()
            if special in SPECIAL_INPUTS:
                return _special_input(node, SPECIAL_INPUTS[special], text)
        return None

    for node in list(tree.walk()):
        new = replacement(node)
        if new is not None:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _special_input(node, days: int | None, text: ClockText):  # noqa: ANN001, ANN202
    """``'now'::timestamptz``, ``'today'::date`` and the like as the as-of instant (or its
    midnight, the day before or after), in the type the cast asks for."""
    from sqlglot import exp

    kinds = {
        exp.DataType.Type.DATE: "date",
        exp.DataType.Type.TIMESTAMP: "timestamp",
        exp.DataType.Type.TIMESTAMPTZ: "timestamptz",
        exp.DataType.Type.TIME: "time",
    }
    kind = kinds.get(node.to.this)
    if kind is None:
        return None  # 'now' cast to text is just the word
    form = _MIDNIGHT_FORMS[kind] if days is None else f"midnight{days:+d}:{kind}"
    return exp.Cast(this=exp.Literal.string(text(form)), to=node.to.copy())
