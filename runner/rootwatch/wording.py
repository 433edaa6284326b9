"""Words for people: plurals, durations and instants, the same in every message and format.

"1 controls", "last 1 days" and "345 h 4 min old" read as machine output; a person expects "1
control", "the last day" and "14 days old". Machine formats (JSON, CSV, XML) keep ISO 8601.
"""

from __future__ import annotations

from datetime import datetime, timezone


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 control``, ``2 controls``, ``0 accounts``; ``plural_form`` for irregular words."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


def duration(seconds: float) -> str:
    """A span as people say it, to the unit that matters: ``40 s``, ``17 min``, ``5 h 20 min``,
    ``14 days``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return plural(hours // 24, "day")


def instant(moment: datetime) -> str:
    """An instant a person reads: ``2026-11-20 09:00 UTC`` (seconds only when there are some, no
    microseconds, the time zone always shown)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone = "UTC" if moment.utcoffset() == timezone.utc.utcoffset(None) else moment.strftime("UTC%z")
    clock = "%H:%M:%S" if moment.second else "%H:%M"
    return f"{moment.strftime('%Y-%m-%d ' + clock)} {zone}"


def controls_phrase(total: int, not_assessed: int) -> str:
    """How every count of a run's controls reads, so that run summaries, ``benchmark list``,
    ``--dry-run`` and the CIS tables agree: ``71 controls (8 assessed, 63 not assessed)``, or
    ``10 controls`` when the mod assesses them all."""
    if not not_assessed:
        return plural(total, "control")
    return f"{plural(total, 'control')} ({total - not_assessed} assessed, {not_assessed} not assessed)"


def ranges(selected: list[str], order: list[str]) -> str:
    """``2.2, 2.3, 2.8 to 2.21``: ``selected`` names in ``order``, runs of three or more names
    that follow each other in ``order`` written as a range."""
    position = {name: index for index, name in enumerate(order)}
    runs: list[list[str]] = []
    for name in selected:
        if runs and name in position and runs[-1][-1] in position and position[name] == position[runs[-1][-1]] + 1:
            runs[-1].append(name)
        else:
            runs.append([name])
    return ", ".join(f"{run[0]} to {run[-1]}" if len(run) >= 3 else ", ".join(run) for run in runs)
