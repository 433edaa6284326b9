"""Inline SVG charts for the HTML report: horizontal bars of result counts, stacked by status.

Drawn in Python as plain SVG markup (no script, no external font or image), so a chart shows even
where scripts are blocked, prints, and survives being mailed as one file. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rootwatch.output.html_assets import STATUS_COLOURS, esc
from rootwatch.results import StatusSummary
from rootwatch.status import STATUS_ORDER

ROW_HEIGHT = 24
BAR_HEIGHT = 16
LABEL_WIDTH = 260
BAR_WIDTH = 420
COUNT_WIDTH = 60
LEGEND_HEIGHT = 26
LABEL_CHARS = 36
HEADING_CHARS = 90


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """Labels longer than the label column end in an ellipsis; the full text is in a <title>."""
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _legend() -> list[str]:
    parts, x = [], 0
    for status in STATUS_ORDER:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" rx="2" fill="{STATUS_COLOURS[status]}"/>'
            f'<text x="{x + 16}" y="14" font-size="12">{status.value}</text>'
        )
        x += 70
    return parts


def stacked_bars(chart_id: str, title: str, bars: Sequence[tuple[str, StatusSummary | None]], note: str = "") -> str:
    """A ``<figure>`` holding one SVG bar per ``(label, counts)``, scaled to the largest total.

    A ``(label, None)`` entry is a heading line (a benchmark above its sections). Each segment
    carries a ``<title>`` (its label, status and count) that browsers show on hover.
    """
    width = LABEL_WIDTH + BAR_WIDTH + COUNT_WIDTH
    height = LEGEND_HEIGHT + max(len(bars), 1) * ROW_HEIGHT + 4
    largest = max((summary.total for _, summary in bars if summary is not None), default=0) or 1
    parts = [
        f'<svg id="{esc(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{esc(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="system-ui, sans-serif">',
        f"<title>{esc(title)}</title>",
        *_legend(),
    ]
    if not bars:
        parts.append(f'<text x="0" y="{LEGEND_HEIGHT + 16}" font-size="12" fill="#5f6368">no results</text>')
    for index, (label, summary) in enumerate(bars):
        y = LEGEND_HEIGHT + index * ROW_HEIGHT
        if summary is None:
            parts.append(
                f'<text class="heading" x="0" y="{y + 14}" font-size="12" font-weight="600">'
                f"<title>{esc(label)}</title>{esc(_short(label, HEADING_CHARS))}</text>"
            )
            continue
        counts = summary.as_dict()
        parts.append(
            f'<g class="bar" data-label="{esc(label)}" data-total="{summary.total}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(_short(label))}</text>"
        )
        x = float(LABEL_WIDTH)
        for status in STATUS_ORDER:
            count = counts[status.value]
            if not count:
                continue
            span = BAR_WIDTH * count / largest
            parts.append(
                f'<rect class="seg" data-status="{status.value}" data-count="{count}" x="{x:.1f}" y="{y}" '
                f'width="{span:.1f}" height="{BAR_HEIGHT}" fill="{STATUS_COLOURS[status]}">'
                f"<title>{esc(label)}: {status.value} {count}</title></rect>"
            )
            x += span
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 13}" font-size="12" fill="#5f6368">{summary.total}</text></g>')
    parts.append("</svg>")
    caption = f"<figcaption><strong>{esc(title)}</strong>"
    if note:
        caption += f' <span class="muted">{esc(note)}</span>'
    return f'<figure class="chart-box">{caption}</figcaption>{"".join(parts)}</figure>'
