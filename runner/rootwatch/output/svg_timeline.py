"""The root-activity timeline of the HTML report: root events per day and account, by credential.

One band per account (its name beside the id), one lane per kind of credential seen (console
password, root access key, centralized root session, other), a dot per day with events, larger for
more events; a day with a failed attempt gets a red ring and says so in its ``<title>``. The x axis
runs from the first event's day to the as-of day. At most :data:`MAX_ACCOUNTS` accounts are drawn
(those with failed attempts first, then the most active), and the caption says how many more. Inline SVG in a horizontally scrolling box, so a
phone shows it at a readable size instead of shrinking it to nothing.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from rootwatch.accounts import display_account
from rootwatch.activity import CREDENTIALS, ActivityDay
from rootwatch.output.html_assets import esc
from rootwatch.wording import plural

CREDENTIAL_COLOURS = {
    "password": "#1565c0",
    "root access key": "#ef6c00",
    "centralized root session": "#6a1b9a",
    "other": "#546e7a",
}
FAILED_COLOUR = "#c62828"
LABEL_WIDTH = 190
PLOT_WIDTH = 560
LANE = 16
BAND_GAP = 10
AXIS = 28
LABEL_CHARS = 28
MAX_ACCOUNTS = 30

TIMELINE_CSS = """
.timeline-box { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
svg.timeline { display: block; max-width: none; }
.timeline-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin-bottom: 6px; }
.timeline-legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 4px; vertical-align: -1px; }
.timeline-legend i.failed { background: #fff; border: 2px solid #c62828; width: 9px; height: 9px; }
"""


def _label_lines(label: str) -> list[str]:
    """An account label as lines of the label column: the id, then its name wrapped whole."""
    account_id, _, name = label.partition(" ")
    return [account_id, *textwrap.wrap(name, LABEL_CHARS, break_on_hyphens=True)] if name else [account_id]


def _ticks(first: date, last: date) -> list[date]:
    span = (last - first).days
    if span <= 0:
        return [first]
    step = max(1, math.ceil(span / 6))
    ticks = [first + timedelta(days=i) for i in range(0, span + 1, step)]
    return ticks if ticks[-1] == last else [*ticks, last]


def _shown_accounts(days: Sequence[ActivityDay]) -> list[str]:
    """The accounts the timeline draws: those with failed attempts first, then the most active, at
    most MAX_ACCOUNTS (an organisation of hundreds would be a wall of dots)."""
    totals: dict[str, list[int]] = {}
    for day in days:
        total = totals.setdefault(day.account_id, [0, 0])
        total[0] += day.failed
        total[1] += day.total
    ranked = sorted(totals, key=lambda account: (-totals[account][0], -totals[account][1], account))
    return sorted(ranked[:MAX_ACCOUNTS])


def timeline(days: Sequence[ActivityDay], names: Mapping[str, str], as_of: datetime) -> str:
    """The timeline figure, or a line saying the captured events hold no root activity."""
    if not days:
        return '<p class="muted">The snapshot holds CloudTrail events, and none of them is root activity.</p>'
    every_account = {d.account_id for d in days}
    accounts = _shown_accounts(days)
    left_out = len(every_account) - len(accounts)
    total = sum(d.total for d in days)
    failed = sum(d.failed for d in days)
    days = [d for d in days if d.account_id in set(accounts)]
    first = min(d.day for d in days)
    last = max(max(d.day for d in days), as_of.date())
    span = max((last - first).days, 1)
    lanes = [c for c in CREDENTIALS if any(d.credential == c for d in days)]
    labels = {account: _label_lines(display_account(account, names)) for account in accounts}
    bands = {account: max(LANE * len(lanes), 13 * len(labels[account]) + 4) for account in accounts}
    tops = {}
    top = AXIS
    for account in accounts:
        tops[account] = top
        top += bands[account] + BAND_GAP
    height = top
    width = LABEL_WIDTH + PLOT_WIDTH + 40
    x_of = lambda day: LABEL_WIDTH + 10 + PLOT_WIDTH * (day - first).days / span  # noqa: E731
    largest = max(d.total for d in days)
    summary = f"{plural(total, 'root event')} ({failed} failed) in {plural(len(every_account), 'account')}"
    if left_out:
        summary += f"; the {plural(len(accounts), 'account')} with failed attempts or the most events drawn, {left_out} more in the root_activity query"
    summary += f"; {first} to {last}"
    parts = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{esc(summary)}" font-family="system-ui, sans-serif">',
        f"<title>{esc(summary)}</title>",
    ]
    for tick in _ticks(first, last):
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS - 6}" x2="{x:.1f}" y2="{height}" stroke="#e3e5e8"/>'
            f'<text x="{x:.1f}" y="{AXIS - 10}" font-size="11" text-anchor="middle" fill="#5f6368">{tick.strftime("%b %d").replace(" 0", " ")}</text>'
        )
    for account in accounts:
        top, band, lines = tops[account], bands[account], labels[account]
        label = display_account(account, names)
        text = "".join(
            f'<tspan x="{LABEL_WIDTH - 6}" dy="{0 if n == 0 else 13}">{esc(line)}</tspan>' for n, line in enumerate(lines)
        )
        parts.append(
            f'<g class="account" data-account="{esc(account)}">'
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{PLOT_WIDTH + 20}" height="{band}" fill="#f7f8fa"/>'
            f'<text x="{LABEL_WIDTH - 6}" y="{top + band / 2 + 4 - 6.5 * (len(lines) - 1):.1f}" font-size="12" text-anchor="end">'
            f"<title>{esc(label)}</title>{text}</text>"
        )
        lane_top = top + (band - LANE * len(lanes)) / 2
        for day in (d for d in days if d.account_id == account):
            lane = lanes.index(day.credential)
            y = lane_top + LANE * lane + LANE / 2
            radius = 3 + 3.5 * math.log(day.total, max(largest, 2)) if largest > 1 else 4
            tip = (
                f"{day.day}, {label}: {plural(day.total, 'root event')} with the {day.credential}"
                + (f", {day.failed} failed" if day.failed else "")
            )
            ring = (
                f' stroke="{FAILED_COLOUR}" stroke-width="2.5"' if day.failed else ' stroke="#ffffff" stroke-width="1"'
            )
            parts.append(
                f'<circle class="event{" failed" if day.failed else ""}" data-day="{day.day}" data-credential="{esc(day.credential)}" '
                f'data-count="{day.total}" data-failed="{day.failed}" cx="{x_of(day.day):.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                f'fill="{CREDENTIAL_COLOURS[day.credential]}"{ring}><title>{esc(tip)}</title></circle>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(f'<span><i style="background:{CREDENTIAL_COLOURS[c]}"></i>{esc(c)}</span>' for c in lanes)
    legend += '<span><i class="failed"></i>a failed attempt that day</span>'
    return (
        f'<div class="timeline-legend">{legend}</div>'
        f'<div class="timeline-box">{"".join(parts)}</div>'
        f'<p class="muted small">{esc(summary)}; one lane per kind of credential, larger dots for more events.</p>'
    )
