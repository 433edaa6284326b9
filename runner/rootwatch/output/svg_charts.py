"""Charts for the HTML report: bars of result counts, stacked by status, one row per label.

Each row is a label in HTML, which wraps instead of being cut off however long a section title or
account name is, an inline SVG bar scaled to the largest total, and the count. On a narrow screen
the label goes above its bar (see :data:`CHART_CSS`). No script, no external font or image: a
chart shows where scripts are blocked, prints, and survives being mailed as one file. Every label
is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rootwatch.output.html_assets import STATUS_COLOURS, esc
from rootwatch.results import StatusSummary
from rootwatch.status import STATUS_ORDER

BAR_WIDTH = 400
BAR_HEIGHT = 16

CHART_CSS = """
figure.chart-box { margin: 0; padding: 12px; border: 1px solid var(--line); border-radius: 6px; flex: 1 1 420px; min-width: 0; }
.chart { display: grid; grid-template-columns: minmax(9em, max-content) minmax(120px, 1fr) 3em; gap: 4px 10px; align-items: center; }
.chart .legend { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; }
.chart .legend i { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.chart .label { font-size: 12px; text-align: right; overflow-wrap: anywhere; max-width: 24em; }
.chart .heading { grid-column: 1 / -1; font-size: 12px; font-weight: 600; margin-top: 6px; }
.chart svg.bar { display: block; width: 100%; height: 16px; }
.chart .count { font-size: 12px; color: var(--muted); }
@media (max-width: 640px) {
  .chart { grid-template-columns: 1fr 3em; }
  .chart .label { grid-column: 1 / -1; text-align: left; max-width: none; margin-top: 4px; }
}
"""


def _legend() -> str:
    items = "".join(f'<span><i style="background:{STATUS_COLOURS[s]}"></i>{s.value}</span>' for s in STATUS_ORDER)
    return f'<div class="legend" aria-hidden="true">{items}</div>'


def _bar(label: str, summary: StatusSummary, largest: int) -> str:
    counts = summary.as_dict()
    segments, x = [], 0.0
    for status in STATUS_ORDER:
        count = counts[status.value]
        if not count:
            continue
        span = BAR_WIDTH * count / largest
        segments.append(
            f'<rect class="seg" data-status="{status.value}" data-count="{count}" x="{x:.1f}" y="0" '
            f'width="{span:.1f}" height="{BAR_HEIGHT}" fill="{STATUS_COLOURS[status]}">'
            f"<title>{esc(label)}: {status.value} {count}</title></rect>"
        )
        x += span
    return (
        f'<svg class="bar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{esc(label)}: {esc(_spoken(summary))}">{"".join(segments)}</svg>'
    )


def _spoken(summary: StatusSummary) -> str:
    counts = summary.as_dict()
    return ", ".join(f"{s.value} {counts[s.value]}" for s in STATUS_ORDER if counts[s.value]) or "no results"


def stacked_bars(chart_id: str, title: str, bars: Sequence[tuple[str, StatusSummary | None]], note: str = "") -> str:
    """A ``<figure>`` holding one row per ``(label, counts)``, bars scaled to the largest total.

    A ``(label, None)`` entry is a heading line (a benchmark above its sections). Each row is a
    ``.bar`` element carrying ``data-label`` and ``data-total``; each segment a ``<title>`` (its
    label, status and count) that browsers show on hover.
    """
    largest = max((summary.total for _, summary in bars if summary is not None), default=0) or 1
    rows = [_legend()]
    if not bars:
        rows.append('<div class="heading muted">no results</div>')
    for label, summary in bars:
        if summary is None:
            rows.append(f'<div class="heading">{esc(label)}</div>')
            continue
        rows.append(
            f'<div class="bar-row" style="display:contents" data-label="{esc(label)}" data-total="{summary.total}">'
            f'<span class="label">{esc(label)}</span>{_bar(label, summary, largest)}'
            f'<span class="count">{summary.total}</span></div>'
        )
    caption = f"<figcaption><strong>{esc(title)}</strong>"
    if note:
        caption += f' <span class="muted">{esc(note)}</span>'
    return (
        f'<figure class="chart-box">{caption}</figcaption>'
        f'<div class="chart" id="{esc(chart_id)}" role="group" aria-label="{esc(title)}">{"".join(rows)}</div></figure>'
    )
